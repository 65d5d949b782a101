"""OpenFisca reference benchmark for hedui's 低保 (dibao) means test.

Called by `cargo xtask bench-rules` as

    python3 dibao_bench.py --persons persons.csv --params params.json --out results.csv

It defines its own tiny tax-benefit system with openfisca-core (a Person entity, a
Household group entity, household Variables with vectorised numpy formulas, the
parameters as an OpenFisca ParameterNode), builds one simulation holding ALL
households with SimulationBuilder, calculates every household variable, writes
results.csv (household_id,income_ok,assets_ok,property_ok,eligible,benefit_fen) in
household order and prints one JSON line with the timings. Money is integer fen.

Two openfisca-core details shape the code:
- value_type=int is int32 and float is float32, so money variables use Int64Variable
  (same Variable, dtype numpy.int64) to stay exact.
- GroupPopulation.sum is numpy.bincount with weights, i.e. float64: exact only while
  every partial household sum stays below 2**53 fen, which main() checks on the input.
Every variable uses the single month period PERIOD (MONTH definition period); the
amounts are totals over the averaging period, OpenFisca does no period arithmetic here.
"""

import argparse
import csv
import json
import time
from importlib.metadata import version

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.parameters import ParameterNode
from openfisca_core.periods import MONTH
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

PERIOD = "2026-11"
COLUMNS = ["household_id", "counted", "income_fen", "assets_fen", "cars", "homes", "businesses"]
OUTPUTS = ["income_ok", "assets_ok", "property_ok", "eligible", "benefit_fen"]

Person = build_entity("person", "persons", "A person", is_person=True)
Household = build_entity(
    "household", "households", "A household applying for dibao",
    roles=[{"key": "applicant", "max": 1}, {"key": "member", "plural": "members"}],
)


class Int64Variable(Variable):
    """A Variable stored as int64 instead of OpenFisca's int32."""

    def __init__(self, baseline_variable=None):
        super().__init__(baseline_variable)
        self.dtype = np.int64


def person_input(name, kind):
    attrs = {"value_type": int if kind is Int64Variable else bool, "entity": Person,
             "definition_period": MONTH, "label": name}
    return type(name, (kind,), attrs)


def counted_sum(household, name, period):
    """Household total of a person variable over counted members (float64, see above)."""
    return household.sum(household.members(name, period) * household.members("counted", period))


class counted_size(Int64Variable):
    value_type, entity, definition_period = int, Household, MONTH

    def formula(household, period):
        return household.sum(household.members("counted", period))


class income_total(Int64Variable):
    value_type, entity, definition_period = int, Household, MONTH

    def formula(household, period):
        return counted_sum(household, "income_fen", period)


class income_limit(Int64Variable):
    value_type, entity, definition_period = int, Household, MONTH

    def formula(household, period, parameters):
        p = parameters(period).dibao
        return p.standard_fen * household("counted_size", period) * p.income_months


class income_ok(Variable):
    value_type, entity, definition_period = bool, Household, MONTH

    def formula(household, period):
        return household("income_total", period) < household("income_limit", period)


class assets_total(Int64Variable):
    value_type, entity, definition_period = int, Household, MONTH

    def formula(household, period):
        return counted_sum(household, "assets_fen", period)


class asset_limit(Int64Variable):
    value_type, entity, definition_period = int, Household, MONTH

    def formula(household, period, parameters):
        p = parameters(period).dibao
        return p.standard_fen * household("counted_size", period) * p.asset_months


class assets_ok(Variable):
    value_type, entity, definition_period = bool, Household, MONTH

    def formula(household, period):
        return household("assets_total", period) <= household("asset_limit", period)


class property_ok(Variable):
    value_type, entity, definition_period = bool, Household, MONTH

    def formula(household, period, parameters):
        return ((counted_sum(household, "cars", period) == 0)
                * (counted_sum(household, "homes", period) <= parameters(period).dibao.max_homes)
                * (counted_sum(household, "businesses", period) == 0))


class eligible(Variable):
    value_type, entity, definition_period = bool, Household, MONTH

    def formula(household, period):
        return (household("income_ok", period) * household("assets_ok", period)
                * household("property_ok", period) * (household("counted_size", period) > 0))


class benefit_fen(Int64Variable):
    value_type, entity, definition_period = int, Household, MONTH

    def formula(household, period, parameters):
        shortfall = household("income_limit", period) - household("income_total", period)
        per_yuan_month = parameters(period).dibao.income_months * 100
        return np.where(household("eligible", period), -(-shortfall // per_yuan_month) * 100, 0)


def tax_benefit_system(params):
    system = TaxBenefitSystem([Person, Household])
    system.add_variables(
        person_input("counted", Variable), *(person_input(c, Int64Variable) for c in COLUMNS[2:]),
        counted_size, income_total, income_limit, income_ok, assets_total, asset_limit,
        assets_ok, property_ok, eligible, benefit_fen)
    system.parameters = ParameterNode("", data={"dibao": {
        k: {"values": {"2000-01-01": {"value": int(params[k])}}}
        for k in ("standard_fen", "income_months", "asset_months", "max_homes")}})
    return system


def read_persons(path):
    with open(path, encoding="utf-8-sig") as f:
        header = next(csv.reader(f))
        if [h.strip() for h in header] != COLUMNS:
            raise SystemExit(f"{path}: header must be {','.join(COLUMNS)}, got {header}")
        data = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2).reshape(-1, len(COLUMNS))
    return {name: np.ascontiguousarray(data[:, i]) for i, name in enumerate(COLUMNS)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", required=True)
    ap.add_argument("--params", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(args.params, encoding="utf-8") as f:
        params = json.load(f)
    cols = read_persons(args.persons)
    hid = cols["household_id"]
    if len(hid) == 0:
        raise SystemExit(f"{args.persons}: no persons")
    if np.any(np.diff(hid) < 0):
        raise SystemExit(f"{args.persons}: household ids must ascend, each household contiguous")
    starts = np.flatnonzero(np.r_[True, hid[1:] != hid[:-1]])
    for c in COLUMNS[2:]:  # float64 household sums (bincount) are exact below 2**53
        if np.add.reduceat(np.abs(cols[c]).astype(np.float64), starts).max() >= 2.0**52:
            raise SystemExit(f"{args.persons}: a household's {c} is too large for exact sums")
    system = tax_benefit_system(params)

    t0 = time.perf_counter()
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("person", np.arange(len(hid)))
    households = builder.declare_entity("household", hid[starts])
    roles = np.ones(len(hid), dtype=np.int64)  # 1 = member, 0 = applicant (first person)
    roles[starts] = 0
    builder.join_with_persons(households, hid, roles)
    sim = builder.build(system)
    sim.set_input("counted", PERIOD, cols["counted"] != 0)
    for c in COLUMNS[2:]:
        sim.set_input(c, PERIOD, cols[c])
    t1 = time.perf_counter()
    results = {v: sim.calculate(v, PERIOD) for v in OUTPUTS}
    t2 = time.perf_counter()

    table = np.column_stack([hid[starts]] + [results[v].astype(np.int64) for v in OUTPUTS])
    np.savetxt(args.out, table, fmt="%d", delimiter=",", comments="",
               header=",".join(["household_id"] + OUTPUTS))
    n, calc = len(starts), t2 - t1
    print(json.dumps({"engine": "openfisca", "openfisca_core": version("openfisca-core"),
                      "households": n, "persons": len(hid),
                      "build_seconds": round(t1 - t0, 6), "calc_seconds": round(calc, 6),
                      "households_per_s": round(n / calc, 1) if calc > 0 else None}))


if __name__ == "__main__":
    main()
