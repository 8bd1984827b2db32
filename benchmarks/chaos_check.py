"""The fault suite's verdict: what the recording CSMS received, checked after the run.

    .venv/bin/python benchmarks/chaos_check.py /tmp/chaos-xyz/record.jsonl

Input: the JSON Lines record of ``chaos_csms.py`` (every frame received, with the answer sent).
The rules (OCPP 1.6 §3.7 and §4.8-4.10; 2.0.1 E04.FR.04, E08.FR.08, E13; reference R3-R5, R18):

- **Schema**: every frame is JSON, a well-formed OCPP-J message, and its payload validates
  against the official schema of the connection's version (a CALL as a request, an answer to
  one of the CSMS's CALLs as that action's response). Else it is *invalid*.
- **1.6 transactions**, keyed by charger and the transactionId the CSMS gave: a transaction
  *started* when its StartTransaction was answered; it needs exactly one StopTransaction. No
  Stop: a *lost end*. A Stop or transaction MeterValues naming an id this charger was never
  given: a *lost start* (one per id). More than one distinct Stop: *duplicated*.
- **2.x transactions**, keyed by charger and transactionId: seen when any TransactionEvent
  arrived. seqNo must run 0, 1, ... without a hole (each hole below the highest seqNo is a
  *gap*; a missing Started is a *lost start*), with exactly one Ended (none: *lost end*; more,
  or one seqNo with two different events, or more than one Started: *duplicated*).
- The same message received again with the same content is a *retransmission*, not a
  duplicate: a charger that did not see the answer (connection cut, CSMS killed after writing
  the record) must send it again, and a backend deduplicates it (reference R3). Counted
  apart. (2.x ``offline`` is left out of the comparison: whether a resend carries it is the
  sender's business.)
- **Energy outside every known transaction**: the register moves only during a session, so
  on each connector a transaction starts where the one before it ended (the first at 0: the
  suite's chargers are new). A start above that is a *hidden transaction*, counted as lost:
  one whose every message was lost, or an end that reported less than the register (either
  way the CSMS cannot bill that energy). After a lost end nothing is claimed.
- **Meter**: per charger and connector (1.6) or EVSE (2.x), the Energy.Active.Import.Register
  readings (meterStart, meterStop, MeterValues and TransactionEvent sampled values without a
  phase, in Wh) sorted by their own timestamps never go down by more than 1 Wh (1.6 sends whole
  Wh). Each drop is a *meter regression*.
- *Out of order* (reported, not part of the verdict): a 2.x event received after a later
  seqNo of its transaction, or after its Ended; 1.6 MeterValues of a transaction received
  after its StopTransaction (R4).

The verdict passes when lost (ends + starts + gaps + hidden), duplicated, invalid and meter
regressions are all 0. What the record cannot show: a 1.6 MeterValues that never arrived (1.6
numbers nothing), or a transaction that delivered no energy and none of whose messages arrived.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
from chaos_csms import read_record

from ocppsim.core.model import OcppVersion
from ocppsim.protocol.schemas import SchemaError, check

#: A register may read this much below an earlier one (1.6 meterStart/meterStop are whole Wh).
METER_TOLERANCE_WH = 1.0
REGISTER = "Energy.Active.Import.Register"
EXAMPLES = 10


@dataclass
class Report:
    """The counts; ``examples`` holds a few cases of each kind, to start debugging from."""

    frames: int = 0
    chargers: int = 0
    connections: int = 0
    transactions_started: int = 0
    transactions_ended: int = 0
    lost_ends: int = 0
    lost_starts: int = 0
    seq_gaps: int = 0
    #: Energy the meter counted outside every transaction the CSMS knows: a transaction none
    #: of whose messages arrived (one per jump), and how much it delivered.
    hidden_transactions: int = 0
    unaccounted_wh: float = 0.0
    duplicated: int = 0
    retransmissions: int = 0
    meter_readings: int = 0
    meter_regressions: int = 0
    invalid_frames: int = 0
    out_of_order: int = 0
    charger_call_errors: int = 0
    by_version: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    #: For each lost end: when the CSMS last heard of that transaction (the record's ``t``),
    #: to tell which fault it followed. Not in ``as_dict``.
    lost_end_last_seen: list[float] = field(default_factory=list, repr=False)

    @property
    def lost(self) -> int:
        return self.lost_ends + self.lost_starts + self.seq_gaps + self.hidden_transactions

    @property
    def passed(self) -> bool:
        failures = (self.lost, self.duplicated, self.invalid_frames, self.meter_regressions)
        return not any(failures)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["lost_end_last_seen"]
        out["lost"] = self.lost
        out["passed"] = self.passed
        return out

    def summary(self) -> str:
        return (
            f"{self.transactions_started} transactions started, {self.transactions_ended} "
            f"ended; lost {self.lost} (ends {self.lost_ends}, starts {self.lost_starts}, seqNo "
            f"gaps {self.seq_gaps}, hidden {self.hidden_transactions}), duplicated "
            f"{self.duplicated}, invalid frames "
            f"{self.invalid_frames}, meter regressions {self.meter_regressions} "
            f"({self.retransmissions} retransmissions, {self.out_of_order} out of order, "
            f"{self.frames} frames) -> {'PASS' if self.passed else 'FAIL'}"
        )


def _same(payload: dict[str, Any]) -> bytes:
    """What two copies of one message must share to be a retransmission."""
    return orjson.dumps(
        {k: v for k, v in payload.items() if k != "offline"}, option=orjson.OPT_SORT_KEYS
    )


@dataclass
class _Tx16:
    start: dict[str, Any] | None = None
    last_seen: float = 0.0
    stops: dict[bytes, dict[str, Any]] = field(default_factory=dict)
    meter_values_after_stop: int = 0


@dataclass
class _Tx2:
    version: str
    #: seqNo -> the distinct events received with it.
    events: dict[int, dict[bytes, dict[str, Any]]] = field(default_factory=dict)
    evse: int | None = None
    highest: int = -1
    ended_at: int | None = None
    out_of_order: int = 0
    last_seen: float = 0.0
    #: The register at Started (Transaction.Begin) and at Ended (Transaction.End).
    begin: _Reading | None = None
    end: _Reading | None = None


@dataclass
class _Reading:
    at: datetime
    wh: float
    what: str


class Checker:
    """Feed it the record's lines in order (``feed``), then ask for the ``report``."""

    def __init__(self) -> None:
        self.r = Report()
        self._chargers: set[str] = set()
        self._tx16: dict[tuple[str, int], _Tx16] = {}
        self._unknown16: set[tuple[str, int]] = set()
        self._tx2: dict[tuple[str, str], _Tx2] = {}
        self._readings: dict[tuple[str, int], list[_Reading]] = defaultdict(list)
        #: 1.6 Stop readings wait for the connector of their Start: (charger, tx, reading).
        self._stop_readings: list[tuple[str, int, _Reading]] = []
        self._now = 0.0

    def _example(self, kind: str, text: str) -> None:
        found = self.r.examples.setdefault(kind, [])
        if len(found) < EXAMPLES:
            found.append(text)

    def _invalid(self, cp: str, why: str) -> None:
        self.r.invalid_frames += 1
        self._example("invalid_frames", f"{cp}: {why}")

    # ------------------------------------------------------------------ frames

    def feed(self, line: dict[str, Any]) -> None:
        ev = line.get("ev")
        if ev == "open":
            self.r.connections += 1
            self._chargers.add(str(line.get("cp")))
        if ev != "in":
            return
        self.r.frames += 1
        self._now = float(line.get("t", 0.0))
        cp, version = str(line.get("cp")), str(line.get("v"))
        if "raw" in line:
            self._invalid(cp, f"not a JSON text frame: {str(line['raw'])[:80]!r}")
            return
        frame = line.get("f")
        if not isinstance(frame, list) or len(frame) < 3 or not isinstance(frame[1], str):
            self._invalid(cp, f"not an OCPP-J message: {str(frame)[:80]}")
            return
        kind = frame[0]
        if kind == 2 and len(frame) == 4 and isinstance(frame[2], str):
            if self._valid(cp, version, frame[2], frame[3], response=False):
                try:
                    self._call(cp, version, frame[2], frame[3], line.get("a"))
                except (KeyError, ValueError, TypeError) as exc:  # e.g. a date the schema let by
                    self._invalid(cp, f"{version} {frame[2]}: unreadable ({exc!r})")
        elif kind == 3 and len(frame) == 3:
            action = line.get("re")
            if not isinstance(action, str):
                self._invalid(cp, f"an answer to no CALL of the CSMS: id {frame[1]!r}")
            else:
                self._valid(cp, version, action, frame[2], response=True)
        elif kind == 4 and len(frame) == 5:
            if not (isinstance(frame[2], str) and isinstance(frame[3], str)) or not isinstance(
                frame[4], dict
            ):
                self._invalid(cp, f"a malformed CALLERROR: {str(frame)[:80]}")
            else:
                self.r.charger_call_errors += 1
                self._example("charger_call_errors", f"{cp}: {frame[2]} {frame[3]}")
        else:
            self._invalid(cp, f"not an OCPP-J message: {str(frame)[:80]}")

    def _valid(
        self, cp: str, version: str, action: str, payload: object, *, response: bool
    ) -> bool:
        try:
            check(OcppVersion(version), action, payload, response=response)
        except SchemaError as exc:
            self._invalid(cp, f"{version} {action}{' answer' if response else ''}: {exc}")
            return False
        except ValueError:
            self._invalid(cp, f"unknown OCPP version {version!r}")
            return False
        return True

    def _call(self, cp: str, version: str, action: str, p: dict[str, Any], answer: object) -> None:
        if version == "1.6":
            if action == "StartTransaction" and isinstance(answer, dict):
                self._start16(cp, p, int(answer["transactionId"]))
            elif action == "StopTransaction":
                self._stop16(cp, p)
            elif action == "MeterValues":
                self._meter_values16(cp, p)
        elif action == "TransactionEvent":
            self._event2(cp, version, p)
        elif action == "MeterValues":
            self._read2(cp, int(p["evseId"]), p["meterValue"], "MeterValues")

    # ------------------------------------------------------------------ OCPP 1.6

    def _start16(self, cp: str, p: dict[str, Any], tx: int) -> None:
        t = self._tx16.setdefault((cp, tx), _Tx16())
        t.last_seen = self._now
        if t.start is None:
            t.start = p
        elif _same(t.start) != _same(p):
            # The CSMS gives a repeated Start its old id only when every field matches.
            self.r.duplicated += 1
            self._example("duplicated", f"{cp}: two different starts for transaction {tx}")
        else:
            self.r.retransmissions += 1
        self._readings[(cp, int(p["connectorId"]))].append(
            _Reading(_time(p["timestamp"]), float(p["meterStart"]), f"Start {tx} meterStart")
        )

    def _stop16(self, cp: str, p: dict[str, Any]) -> None:
        tx = int(p["transactionId"])
        t = self._tx16.get((cp, tx))
        if t is None:
            self._unknown16.add((cp, tx))
            self._example("lost_starts", f"{cp}: StopTransaction for unknown transaction {tx}")
            return
        key = _same(p)
        if key in t.stops:
            self.r.retransmissions += 1
            return
        t.stops[key] = p
        if len(t.stops) > 1:
            self.r.duplicated += 1
            self._example("duplicated", f"{cp}: StopTransaction #{len(t.stops)} for {tx}")
        what = f"Stop {tx}"
        self._stop_readings.append(
            (cp, tx, _Reading(_time(p["timestamp"]), float(p["meterStop"]), f"{what} meterStop"))
        )
        for mv in p.get("transactionData", []):
            for wh in _registers(mv["sampledValue"], textual=True):
                self._stop_readings.append(
                    (cp, tx, _Reading(_time(mv["timestamp"]), wh, f"{what} transactionData"))
                )

    def _meter_values16(self, cp: str, p: dict[str, Any]) -> None:
        tx = p.get("transactionId")
        if tx is not None:
            t = self._tx16.get((cp, int(tx)))
            if t is None:
                self._unknown16.add((cp, int(tx)))
                self._example("lost_starts", f"{cp}: MeterValues for unknown transaction {tx}")
            elif t.stops:
                t.meter_values_after_stop += 1
                self._example("out_of_order", f"{cp}: MeterValues of {tx} after its Stop")
            else:
                t.last_seen = self._now
        self._read16(cp, int(p["connectorId"]), p["meterValue"], f"MeterValues tx {tx}")

    def _read16(self, cp: str, connector: int, meter_value: list[Any], what: str) -> None:
        for mv in meter_value:
            at = _time(mv["timestamp"])
            for wh in _registers(mv["sampledValue"], textual=True):
                self._readings[(cp, connector)].append(_Reading(at, wh, what))

    # ------------------------------------------------------------------ OCPP 2.x

    def _event2(self, cp: str, version: str, p: dict[str, Any]) -> None:
        txid = str(p["transactionInfo"]["transactionId"])
        seq = int(p["seqNo"])
        t = self._tx2.setdefault((cp, txid), _Tx2(version))
        t.last_seen = self._now
        copies = t.events.setdefault(seq, {})
        key = _same(p)
        if key in copies:
            self.r.retransmissions += 1
            return
        copies[key] = p
        if len(copies) > 1:
            self.r.duplicated += 1
            self._example("duplicated", f"{cp}: two different events with seqNo {seq} in {txid}")
        if seq < t.highest or (t.ended_at is not None and seq > t.ended_at):
            t.out_of_order += 1
            self._example("out_of_order", f"{cp}: seqNo {seq} of {txid} after {t.highest}")
        t.highest = max(t.highest, seq)
        if p["eventType"] == "Ended" and t.ended_at is None:
            t.ended_at = seq
        if "evse" in p:
            t.evse = int(p["evse"]["id"])
        if t.evse is not None:
            what = f"{p['eventType']} {txid}#{seq}"
            readings = self._read2(cp, t.evse, p.get("meterValue", []), what)
            if readings and p["eventType"] == "Started" and t.begin is None:
                t.begin = readings[0]
            if readings and p["eventType"] == "Ended" and t.end is None:
                t.end = readings[-1]
        # An event without its EVSE before the one naming it: rare; its reading is skipped.

    def _read2(self, cp: str, evse: int, meter_value: list[Any], what: str) -> list[_Reading]:
        found = []
        for mv in meter_value:
            at = _time(mv["timestamp"])
            for wh in _registers(mv["sampledValue"], textual=False):
                found.append(_Reading(at, wh, what))
        self._readings[(cp, evse)].extend(found)
        return found

    # ------------------------------------------------------------------ the verdict

    def report(self) -> Report:
        r = self.r
        r.chargers = len(self._chargers)
        kinds = ("started", "ended", "lost_ends", "lost_starts", "seq_gaps")
        versions: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(kinds, 0))
        for (cp, tx), t in self._tx16.items():
            self._finish16(cp, tx, t, versions["1.6"])
        if self._unknown16:
            r.lost_starts += len(self._unknown16)
            versions["1.6"]["lost_starts"] += len(self._unknown16)
        for (cp, txid), t2 in self._tx2.items():
            self._finish2(cp, txid, t2, versions[t2.version])
        for cp, tx, reading in self._stop_readings:
            start = self._tx16[(cp, tx)].start
            if start is not None:
                self._readings[(cp, int(start["connectorId"]))].append(reading)
        for (cp, connector), readings in sorted(self._readings.items()):
            self._meter(cp, connector, readings)
        for (cp, connector), spans in sorted(self._spans().items()):
            self._unaccounted(cp, connector, spans)
        r.by_version = {v: dict(c) for v, c in sorted(versions.items())}
        return r

    def _finish16(self, cp: str, tx: int, t: _Tx16, counts: dict[str, int]) -> None:
        r = self.r
        r.transactions_started += 1
        counts["started"] += 1
        r.out_of_order += t.meter_values_after_stop
        self._end(
            bool(t.stops), t.last_seen, counts, f"{cp}: transaction {tx} started, never stopped"
        )

    def _end(self, ended: bool, last_seen: float, counts: dict[str, int], lost: str) -> None:
        """Count a transaction's end, or its lost end (with when it was last heard of)."""
        r = self.r
        if ended:
            r.transactions_ended += 1
            counts["ended"] += 1
            return
        r.lost_ends += 1
        r.lost_end_last_seen.append(last_seen)
        counts["lost_ends"] += 1
        self._example("lost_ends", lost)

    def _finish2(self, cp: str, txid: str, t: _Tx2, counts: dict[str, int]) -> None:
        r = self.r
        r.out_of_order += t.out_of_order
        events = [e for copies in t.events.values() for e in copies.values()]
        started = sorted({s for s, c in t.events.items() if _has(c, "Started")})
        ended = sorted({s for s, c in t.events.items() if _has(c, "Ended")})
        r.transactions_started += 1
        counts["started"] += 1
        if not started:
            r.lost_starts += 1
            counts["lost_starts"] += 1
            self._example("lost_starts", f"{cp}: {txid} has no Started ({len(events)} events)")
        if len(started) > 1 or len(ended) > 1:
            extra = max(0, len(started) - 1) + max(0, len(ended) - 1)
            r.duplicated += extra
            self._example("duplicated", f"{cp}: {txid} Started at {started}, Ended at {ended}")
        self._end(
            bool(ended), t.last_seen, counts, f"{cp}: {txid} up to seqNo {t.highest}, no Ended"
        )
        missing = [s for s in range(t.highest + 1) if s not in t.events]
        if missing and missing[0] == 0 and not started:
            missing = missing[1:]  # counted as the lost start
        if missing:
            r.seq_gaps += len(missing)
            counts["seq_gaps"] += len(missing)
            self._example("seq_gaps", f"{cp}: {txid} lacks seqNo {missing[:10]}")

    def _spans(self) -> dict[tuple[str, int], list[_Span]]:
        """Each connector's transactions as (register at the start, at the end or None)."""
        spans: dict[tuple[str, int], list[_Span]] = defaultdict(list)
        for (cp, tx), t in self._tx16.items():
            if t.start is None:
                continue
            p = t.start
            begin = _Reading(_time(p["timestamp"]), float(p["meterStart"]), f"Start {tx}")
            end = None
            if t.stops:
                stop = next(iter(t.stops.values()))
                end = _Reading(_time(stop["timestamp"]), float(stop["meterStop"]), f"Stop {tx}")
            spans[(cp, int(p["connectorId"]))].append((begin, end))
        for (cp, _txid), t2 in self._tx2.items():
            if t2.evse is not None and t2.begin is not None:
                spans[(cp, t2.evse)].append((t2.begin, t2.end))
        return spans

    def _unaccounted(self, cp: str, connector: int, spans: list[_Span]) -> None:
        """The register only moves during a session: a transaction starts where the one
        before it ended, the first at 0 (the suite's chargers are new). More: energy flowed
        in a transaction the CSMS never heard of."""
        spans.sort(key=lambda span: span[0].at)
        before: _Reading | None = _Reading(spans[0][0].at, 0.0, "a new charger")
        for begin, end in spans:
            if before is not None and begin.wh > before.wh + METER_TOLERANCE_WH:
                self.r.hidden_transactions += 1
                self.r.unaccounted_wh = round(self.r.unaccounted_wh + begin.wh - before.wh, 1)
                self._example(
                    "hidden_transactions",
                    f"{cp} #{connector}: {before.wh:g} Wh at {before.what}, "
                    f"{begin.wh:g} Wh at {begin.what} ({begin.at:%H:%M:%S.%f})",
                )
            before = end

    def _meter(self, cp: str, connector: int, readings: list[_Reading]) -> None:
        # Equal timestamps (millisecond precision) are taken in rising order: no false alarm
        # from two readings of one instant arriving in another order.
        ordered = sorted(readings, key=lambda x: (x.at, x.wh))
        self.r.meter_readings += len(ordered)
        for before, after in pairwise(ordered):
            if after.wh < before.wh - METER_TOLERANCE_WH:
                self.r.meter_regressions += 1
                self._example(
                    "meter_regressions",
                    f"{cp} #{connector}: {before.wh:g} Wh ({before.what}, {before.at:%H:%M:%S.%f}) "
                    f"then {after.wh:g} Wh ({after.what}, {after.at:%H:%M:%S.%f})",
                )


_Span = tuple[_Reading, _Reading | None]


def _has(copies: dict[bytes, dict[str, Any]], event_type: str) -> bool:
    return any(e["eventType"] == event_type for e in copies.values())


def _time(text: str) -> datetime:
    """An OCPP dateTime; one without an offset is taken as UTC (so all compare)."""
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _registers(sampled: list[dict[str, Any]], *, textual: bool) -> list[float]:
    """The energy register readings (Wh) among a meter value's sampled values."""
    found = []
    for s in sampled:
        if s.get("measurand", REGISTER) != REGISTER or "phase" in s:
            continue
        value = float(s["value"])
        if textual:
            unit = s.get("unit", "Wh")
        else:
            unit_of_measure = s.get("unitOfMeasure", {})
            unit = unit_of_measure.get("unit", "Wh")
            value *= 10.0 ** int(unit_of_measure.get("multiplier", 0))
        found.append(value * 1000.0 if unit == "kWh" else value)
    return found


def check_lines(lines: Any) -> Report:
    checker = Checker()
    for line in lines:
        checker.feed(line)
    return checker.report()


def check_record(path: Path) -> Report:
    """The verdict on one record file."""
    return check_lines(read_record(path))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Check a recording CSMS's record.")
    parser.add_argument("record", type=Path)
    args = parser.parse_args(argv)
    report = check_record(args.record)
    print(json.dumps(report.as_dict(), indent=2))
    print(report.summary())
    sys.exit(0 if report.passed else 1)


if __name__ == "__main__":
    main()
