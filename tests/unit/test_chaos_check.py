"""The fault suite's checker (benchmarks/chaos_check.py) on hand-made records: it must find
every kind of loss, duplicate, bad frame and meter regression, and accept retransmissions.

Rules: 1.6 §3.7 (transaction messages delivered), §4.8/§4.10 (one Start, one Stop per
transactionId); 2.0.1 E04.FR.04 / E08.FR.08 (seqNo contiguous, per transaction), E13
(retransmission of a message that got no answer); reference R3-R5.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chaos_check import Report, check_lines, check_record

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
ACCEPTED = {"status": "Accepted"}


def ts(seconds: float) -> str:
    return (
        (T0 + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def line(
    cp: str, v: str, action: str, payload: dict[str, Any], answer: Any = None
) -> dict[str, Any]:
    return {
        "ev": "in",
        "t": 0.0,
        "c": "1.1",
        "cp": cp,
        "v": v,
        "f": [2, "m", action, payload],
        "a": answer,
    }


def start16(cp: str, tx: int, at: float, wh: int, connector: int = 1) -> dict[str, Any]:
    payload = {"connectorId": connector, "idTag": "TAG1", "meterStart": wh, "timestamp": ts(at)}
    return line(
        cp, "1.6", "StartTransaction", payload, {"idTagInfo": ACCEPTED, "transactionId": tx}
    )


def stop16(cp: str, tx: int, at: float, wh: int, reason: str = "EVDisconnected") -> dict[str, Any]:
    payload = {"transactionId": tx, "meterStop": wh, "timestamp": ts(at), "reason": reason}
    return line(cp, "1.6", "StopTransaction", payload, {})


def meter16(cp: str, tx: int | None, at: float, wh: float, connector: int = 1) -> dict[str, Any]:
    value = {"value": f"{wh:g}", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
    payload: dict[str, Any] = {
        "connectorId": connector,
        "meterValue": [{"timestamp": ts(at), "sampledValue": [value]}],
    }
    if tx is not None:
        payload["transactionId"] = tx
    return line(cp, "1.6", "MeterValues", payload, {})


def event2(
    cp: str, txid: str, seq: int, kind: str, at: float, wh: float, v: str = "2.0.1", **extra: Any
) -> dict[str, Any]:
    value = {
        "value": wh,
        "measurand": "Energy.Active.Import.Register",
        "unitOfMeasure": {"unit": "Wh"},
    }
    payload: dict[str, Any] = {
        "eventType": kind,
        "timestamp": ts(at),
        "triggerReason": "Authorized" if kind == "Started" else "MeterValuePeriodic",
        "seqNo": seq,
        "transactionInfo": {"transactionId": txid},
        "meterValue": [{"timestamp": ts(at), "sampledValue": [value]}],
    } | extra
    if seq == 0:
        payload["evse"] = {"id": 1, "connectorId": 1}
    return line(cp, v, "TransactionEvent", payload, {})


def session2(cp: str, txid: str, at: float, wh: float, v: str = "2.0.1") -> list[dict[str, Any]]:
    return [
        event2(cp, txid, 0, "Started", at, wh, v),
        event2(cp, txid, 1, "Updated", at + 5, wh + 50, v),
        event2(cp, txid, 2, "Ended", at + 9, wh + 90, v),
    ]


def clean() -> list[dict[str, Any]]:
    return [
        {"ev": "open", "t": 0.0, "c": "1.1", "cp": "A", "v": "1.6"},
        start16("A", 1, 0, 0),
        meter16("A", 1, 5, 50.5),
        stop16("A", 1, 9, 90),
        *session2("B", "tx-b", 0, 0),
        *session2("C", "tx-c", 0, 0, v="2.1"),
    ]


def failures(report: Report) -> dict[str, int]:
    return {
        "lost_ends": report.lost_ends,
        "lost_starts": report.lost_starts,
        "seq_gaps": report.seq_gaps,
        "hidden_transactions": report.hidden_transactions,
        "duplicated": report.duplicated,
        "invalid_frames": report.invalid_frames,
        "meter_regressions": report.meter_regressions,
    }


NONE = dict.fromkeys(failures(Report()), 0)


def test_a_clean_record_passes() -> None:
    report = check_lines(clean())
    assert failures(report) == NONE
    assert report.passed
    assert report.transactions_started == report.transactions_ended == 3
    zero = {"lost_ends": 0, "lost_starts": 0, "seq_gaps": 0}
    assert report.by_version == {
        "1.6": {"started": 1, "ended": 1} | zero,
        "2.0.1": {"started": 1, "ended": 1} | zero,
        "2.1": {"started": 1, "ended": 1} | zero,
    }
    assert report.meter_readings == 3 + 3 + 3
    assert report.chargers == 1  # only "open" lines name chargers


def test_identical_resends_are_retransmissions_not_duplicates_e13() -> None:
    record = clean()
    record += [stop16("A", 1, 9, 90), session2("B", "tx-b", 0, 0)[2], start16("A", 1, 0, 0)]
    # A resend may differ in 2.x ``offline`` (the message went out again after an outage).
    record.append(event2("C", "tx-c", 1, "Updated", 5, 50, v="2.1", offline=True))
    report = check_lines(record)
    assert report.passed
    assert report.retransmissions == 4
    assert report.transactions_ended == 3


def test_a_1_6_start_without_stop_is_a_lost_end_s3_7() -> None:
    report = check_lines([*clean(), start16("A", 2, 20, 90) | {"t": 1234.5}])
    assert failures(report) == NONE | {"lost_ends": 1}
    assert not report.passed
    assert report.lost_end_last_seen == [1234.5]  # when the CSMS last heard of it
    assert report.examples["lost_ends"] == ["A: transaction 2 started, never stopped"]


def test_a_1_6_stop_for_an_id_never_given_is_a_lost_start() -> None:
    record = [*clean(), stop16("A", 7, 20, 95), meter16("A", 7, 19, 92), meter16("A", 8, 19, 93)]
    report = check_lines(record)
    # One lost start per unknown id, whatever names it; the register still counts.
    assert failures(report) == NONE | {"lost_starts": 2}


def test_two_different_1_6_stops_are_duplicated_s4_10() -> None:
    report = check_lines([*clean(), stop16("A", 1, 12, 95, reason="PowerLoss")])
    assert failures(report) == NONE | {"duplicated": 1}


def test_2_x_seq_no_hole_is_a_gap_e04_fr_04() -> None:
    record = [
        event2("B", "tx", 0, "Started", 0, 0),
        event2("B", "tx", 3, "Ended", 9, 90),
    ]
    report = check_lines(record)
    assert failures(report) == NONE | {"seq_gaps": 2}
    assert report.examples["seq_gaps"] == ["B: tx lacks seqNo [1, 2]"]


def test_2_x_transaction_without_ended_is_a_lost_end() -> None:
    report = check_lines(session2("B", "tx", 0, 0)[:2])
    assert failures(report) == NONE | {"lost_ends": 1}


def test_2_x_transaction_without_started_is_a_lost_start_not_also_a_gap() -> None:
    report = check_lines(session2("B", "tx", 0, 0)[1:])
    assert failures(report) == NONE | {"lost_starts": 1}


def test_2_x_second_ended_or_changed_event_is_duplicated() -> None:
    second_end = event2("B", "tx-b", 3, "Ended", 12, 95)
    changed = event2("C", "tx-c", 1, "Updated", 6, 60, v="2.1")
    report = check_lines([*clean(), second_end, changed])
    assert failures(report) == NONE | {"duplicated": 2}
    # Both also came out of order: after the Ended, and after a higher seqNo.
    assert report.out_of_order == 2


def test_meter_register_going_back_is_a_regression_in_time_order() -> None:
    record = [
        start16("A", 1, 10, 0),
        stop16("A", 1, 20, 150),
        # Arrival order is not time order: an earlier reading arriving later is no regression.
        meter16("A", None, 15, 80),
        start16("A", 2, 30, 20),  # the register fell from 150 to 20 (a restart forgot it)
        stop16("A", 2, 40, 60),
        meter16("A", None, 41, 10, connector=2),  # another connector, its own register
    ]
    report = check_lines(record)
    assert failures(report) == NONE | {"meter_regressions": 1}
    assert "150 Wh (Stop 1 meterStop" in report.examples["meter_regressions"][0]


def test_energy_outside_every_known_transaction_is_a_hidden_transaction() -> None:
    # The register moves only in a session: a Start above the previous Stop means a whole
    # transaction went by that the CSMS never heard of (a Start and Stop both lost).
    record = [
        start16("A", 1, 0, 0),
        stop16("A", 1, 10, 100),
        start16("A", 2, 30, 250),
        stop16("A", 2, 40, 300),
        *session2("B", "tx-b", 0, 500),  # a new charger's first transaction starts at 0
    ]
    report = check_lines(record)
    assert failures(report) == NONE | {"hidden_transactions": 2}
    assert report.unaccounted_wh == 650.0
    assert report.lost == 2
    # After a lost end, nothing is known about where the register stood: no claim.
    report = check_lines([start16("A", 1, 0, 0), start16("A", 2, 30, 250), stop16("A", 2, 40, 300)])
    assert failures(report) == NONE | {"lost_ends": 1}


def test_meter_allows_1_6_whole_wh_rounding() -> None:
    record = [start16("A", 1, 0, 0), meter16("A", 1, 5, 50.7), stop16("A", 1, 5.5, 50)]
    assert check_lines(record).meter_regressions == 0


def test_2_x_meter_units_and_multiplier() -> None:
    kwh = {
        "value": 0.5,
        "measurand": "Energy.Active.Import.Register",
        "unitOfMeasure": {"unit": "kWh"},
    }
    scaled = {
        "value": 4.0,
        "measurand": "Energy.Active.Import.Register",
        "unitOfMeasure": {"unit": "Wh", "multiplier": 2},
    }
    power = {"value": 1.0, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}}
    record = [
        line(
            "B",
            "2.0.1",
            "MeterValues",
            {"evseId": 1, "meterValue": [{"timestamp": ts(0), "sampledValue": [kwh, power]}]},
        ),
        line(
            "B",
            "2.0.1",
            "MeterValues",
            {"evseId": 1, "meterValue": [{"timestamp": ts(1), "sampledValue": [scaled]}]},
        ),
    ]
    report = check_lines(record)
    assert report.meter_readings == 2
    assert report.meter_regressions == 1  # 500 Wh, then 400 Wh


def test_frames_failing_their_schema_are_invalid() -> None:
    bad_start = line(
        "A", "1.6", "StartTransaction", {"connectorId": 1, "meterStart": 0}, {"transactionId": 1}
    )
    record = [
        bad_start,  # no idTag, no timestamp
        line("A", "1.6", "TransactionEvent", {}),  # a 2.x action on 1.6
        line("B", "2.0.1", "Heartbeat", {"extra": 1}),  # additionalProperties: false
        {"ev": "in", "t": 0, "c": "1.1", "cp": "A", "v": "1.6", "raw": "not json"},
        {"ev": "in", "t": 0, "c": "1.1", "cp": "A", "v": "1.6", "f": {"not": "a list"}},
        {"ev": "in", "t": 0, "c": "1.1", "cp": "A", "v": "1.6", "f": [3, "x", {}]},  # unasked
        {
            "ev": "in",
            "t": 0,
            "c": "1.1",
            "cp": "A",
            "v": "1.6",
            "f": [3, "y", {"status": "Maybe"}],
            "re": "ChangeConfiguration",
        },
    ]
    report = check_lines(record)
    assert report.invalid_frames == len(record)
    assert report.transactions_started == 0  # an invalid Start does not count as one
    ok = {
        "ev": "in",
        "t": 0,
        "c": "1.1",
        "cp": "A",
        "v": "1.6",
        "f": [3, "y", {"status": "Accepted"}],
        "re": "ChangeConfiguration",
    }
    error = {
        "ev": "in",
        "t": 0,
        "c": "1.1",
        "cp": "A",
        "v": "1.6",
        "f": [4, "z", "NotSupported", "", {}],
    }
    report = check_lines([ok, error])
    assert report.invalid_frames == 0
    assert report.charger_call_errors == 1


def test_a_record_cut_by_a_kill_is_read_up_to_its_last_whole_line(tmp_path: Path) -> None:
    import orjson

    path = tmp_path / "record.jsonl"
    path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in clean()) + b'{"ev": "in", "cp"')
    report = check_record(path)
    assert report.passed
    assert report.transactions_started == 3


def test_1_6_meter_values_after_their_stop_are_out_of_order_r4() -> None:
    record = [start16("A", 1, 0, 0), meter16("A", 1, 5, 50), stop16("A", 1, 9, 90)]
    assert check_lines(record).out_of_order == 0
    report = check_lines([*record, meter16("A", 1, 8, 80)])
    assert report.out_of_order == 1
    assert report.examples["out_of_order"] == ["A: MeterValues of 1 after its Stop"]
    assert report.passed  # reported, not part of the verdict
