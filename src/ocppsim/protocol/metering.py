"""SampledValue entries of a meter reading, for every version (1.6 §7.43, 2.0.1 SampledValueType).

The versions differ in one detail: 1.6 writes the value as a string with ``unit``, 2.x as a
number with ``unitOfMeasure``. ``textual`` selects the 1.6 form.
"""

from __future__ import annotations

from ocppsim.core.intents import Sample
from ocppsim.protocol.common import Payload

#: The unit of each measurand ocppsim samples (1.6 §7.45 UnitOfMeasure, 2.0.1 UnitOfMeasureType).
UNITS = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Current.Import": "A",
    "Voltage": "V",
    "SoC": "Percent",
}


def sampled_value(measurand: str, value: float, context: str, *, textual: bool) -> Payload:
    """One SampledValue; the state of charge is measured in the EV (location EV)."""
    entry: Payload
    if textual:
        entry = {
            "value": f"{value:g}" if isinstance(value, float) else str(value),
            "context": context,
            "measurand": measurand,
            "unit": UNITS[measurand],
        }
    else:
        entry = {
            "value": value,
            "context": context,
            "measurand": measurand,
            "unitOfMeasure": {"unit": UNITS[measurand]},
        }
    if measurand == "SoC":
        entry["location"] = "EV"
    return entry


def sampled_values(s: Sample, measurands: str, context: str, *, textual: bool) -> list[Payload]:
    """The entries of ``s`` for the configured ``measurands`` (a comma-separated list), in its
    order; a measurand the sample has no reading for (SoC of an AC charger) is left out."""
    readings = {
        "Energy.Active.Import.Register": s.register_wh,
        "Power.Active.Import": s.power_w,
        "Current.Import": s.current_a,
        "Voltage": s.voltage_v,
        "SoC": s.soc,
    }
    values: list[Payload] = []
    for item in measurands.split(","):
        measurand = item.strip()
        value = readings.get(measurand)
        if value is not None:
            values.append(sampled_value(measurand, value, context, textual=textual))
    return values
