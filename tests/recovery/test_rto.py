"""Measured RTO: property tests against an independent oracle, plus the edge cases by example."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cdevops_chaos.experiment.model import MeasureFrom, RecoveryPolicy
from cdevops_chaos.recovery.rto import hypothesis_timeline, measure_rto
from cdevops_chaos.recovery.samples import Sample, SampleStatus

T0 = datetime(2026, 11, 29, 5, 40, 0, tzinfo=UTC)
OK, BAD, NONE = SampleStatus.OK, SampleStatus.BREACH, SampleStatus.NO_DATA


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def series(statuses: list[SampleStatus], period: float = 1.0, start: float = 0.0) -> list[Sample]:
    return [
        Sample(at(start + i * period), None if s is NONE else (0.0 if s is OK else 9.0), s)
        for i, s in enumerate(statuses)
    ]


def oks(text: str) -> list[SampleStatus]:
    """'..xx...' -> ok ok breach breach ok ok ok ('-' is no-data)."""
    return [{".": OK, "x": BAD, "-": NONE}[c] for c in text]


def policy(stable: float = 3, timeout: float = 300, frm: MeasureFrom = MeasureFrom.FAULT_START):
    return RecoveryPolicy(stable_for=stable, timeout=timeout, measure_from=frm)


# --- examples -------------------------------------------------------------------------------


def test_breach_then_stable_gives_rto_from_inject():
    m = measure_rto({"p": series(oks("..xxx....."))}, at(2), at(4), policy(stable=3))
    assert m.impact_observed and m.recovered
    assert m.t_impact == at(2)
    assert m.t_recovered == at(5)
    assert m.rto_s == 3.0
    assert m.resolution_s == 1.0
    assert m.reference is MeasureFrom.FAULT_START


def test_no_impact_is_rto_zero_and_said_so():
    m = measure_rto({"p": series(oks(".........."))}, at(2), at(4), policy())
    assert not m.impact_observed
    assert m.recovered
    assert m.rto_s == 0.0
    assert m.t_impact is None
    assert any("no impact" in n for n in m.notes)


def test_impact_before_inject_is_not_counted():
    m = measure_rto({"p": series(oks("xx........"))}, at(2), at(4), policy())
    assert not m.impact_observed
    assert m.rto_s == 0.0


def test_never_recovered():
    m = measure_rto({"p": series(oks("..xxxxxxxx"))}, at(2), at(4), policy())
    assert m.impact_observed and not m.recovered
    assert m.rto_s is None and m.t_recovered is None
    assert any("not recovered" in n for n in m.notes)


def test_ok_run_too_short_at_the_end_of_data_is_not_recovered():
    # 2 ok samples cover 2s; stable_for is 3s.
    m = measure_rto({"p": series(oks("..xxxx.."))}, at(2), at(4), policy(stable=3))
    assert not m.recovered


def test_ok_run_exactly_stable_for_at_the_end_of_data_recovers():
    m = measure_rto({"p": series(oks("..xxxx..."))}, at(2), at(4), policy(stable=3))
    assert m.recovered and m.t_recovered == at(6) and m.rto_s == 4.0


def test_flapping_during_recovery_resets_the_stable_run():
    m = measure_rto({"p": series(oks("..xx..x..x......"))}, at(2), at(3), policy(stable=4))
    assert m.t_recovered == at(10)
    assert m.rto_s == 8.0


def test_no_data_counts_as_not_ok():
    m = measure_rto({"p": series(oks("..--......"))}, at(2), at(3), policy(stable=3))
    assert m.impact_observed
    assert m.t_impact == at(2)
    assert m.t_recovered == at(4)


def test_measure_from_fault_end():
    m = measure_rto(
        {"p": series(oks("..xxxxxx.........."))},
        at(2),
        at(5),
        policy(stable=3, frm=MeasureFrom.FAULT_END),
    )
    assert m.t_recovered == at(8)
    assert m.rto_s == 3.0
    assert m.t_reference == at(5)
    assert m.reference is MeasureFrom.FAULT_END


def test_measure_from_fault_end_clamps_at_zero_and_says_so():
    m = measure_rto(
        {"p": series(oks("..xx.........."))},
        at(2),
        at(10),
        policy(stable=3, frm=MeasureFrom.FAULT_END),
    )
    assert m.t_recovered == at(4)
    assert m.rto_s == 0.0
    assert any("before the fault ended" in n for n in m.notes)


def test_measure_from_fault_end_without_a_fault_end_falls_back_to_inject():
    m = measure_rto(
        {"p": series(oks("..xx......"))}, at(2), None, policy(stable=3, frm=MeasureFrom.FAULT_END)
    )
    assert m.rto_s == 2.0
    assert any("fault end was not recorded" in n for n in m.notes)


def test_recovery_after_the_timeout_is_not_recovery():
    m = measure_rto({"p": series(oks("..xxxxxx...."))}, at(2), at(3), policy(stable=3, timeout=5))
    assert not m.recovered and m.rto_s is None
    m = measure_rto({"p": series(oks("..xxxxxx...."))}, at(2), at(3), policy(stable=3, timeout=6))
    assert m.recovered and m.rto_s == 6.0


def test_no_samples_after_inject_fails_closed():
    m = measure_rto({"p": series(oks("...."))}, at(10), at(12), policy())
    assert not m.recovered and m.rto_s is None
    assert any("no samples" in n for n in m.notes)


def test_probes_of_different_periods_are_aligned_and_resolution_is_the_coarsest():
    fast = series(oks("..xxx.........."), period=1)  # recovers at 5
    slow = series(oks(".x.....x"), period=2)  # t=0 ok, t=2 breach, t=4.. ok, t=14 breach
    m = measure_rto({"fast": fast, "slow": slow}, at(2), at(3), policy(stable=4))
    assert m.resolution_s == 2.0
    assert m.t_impact == at(2)
    assert m.t_recovered == at(5)
    assert m.rto_s == 3.0


def test_explicit_periods_override_inference():
    single = [Sample(at(3), 0.0, OK)]
    with_period = measure_rto(
        {"p": [Sample(at(2), 9.0, BAD), *single]}, at(2), at(3), policy(stable=60), {"p": 60}
    )
    inferred = measure_rto(
        {"p": [Sample(at(2), 9.0, BAD), *single]}, at(2), at(3), policy(stable=60)
    )
    assert with_period.recovered and with_period.resolution_s == 60
    assert not inferred.recovered


def test_hypothesis_timeline_carries_samples_forward_and_fails_closed_before_first():
    a = [Sample(at(0), 0, OK), Sample(at(1), 9, BAD), Sample(at(2), 0, OK)]
    b = [Sample(at(0.5), 0, OK), Sample(at(2.5), 9, BAD)]
    assert hypothesis_timeline({"a": a, "b": b}) == [
        (at(0), False),  # b has no sample yet
        (at(0.5), True),
        (at(1), False),
        (at(2), True),
        (at(2.5), False),
    ]
    assert hypothesis_timeline({}) == []


# --- properties -----------------------------------------------------------------------------

statuses = st.lists(st.sampled_from([OK, OK, OK, BAD, NONE]), min_size=1, max_size=40)


def oracle(ok: list[bool], inject: int, stable: float, timeout: float, ref: int):
    """Independent single-probe (1s period) formulation: first window of L ok samples."""
    impact = next((i for i in range(inject, len(ok)) if not ok[i]), None)
    if inject >= len(ok):
        return "no-samples", None
    if impact is None:
        return "no-impact", 0.0
    length = max(1, math.ceil(stable))
    for j in range(impact + 1, len(ok) - length + 1):
        if all(ok[j : j + length]):
            if j - ref > timeout:
                return "not-recovered", None
            return "recovered", max(0.0, float(j - ref))
    return "not-recovered", None


@settings(max_examples=300)
@given(
    sts=statuses,
    inject=st.integers(0, 45),
    fault_len=st.integers(0, 20),
    stable=st.integers(1, 8),
    timeout=st.integers(0, 50),
    frm=st.sampled_from(list(MeasureFrom)),
)
def test_rto_matches_the_oracle_and_is_never_negative(sts, inject, fault_len, stable, timeout, frm):
    pol = policy(stable=stable, timeout=timeout, frm=frm)
    m = measure_rto({"p": series(sts)}, at(inject), at(inject + fault_len), pol)
    ref = inject + fault_len if frm is MeasureFrom.FAULT_END else inject
    outcome, rto = oracle([s is OK for s in sts], inject, stable, timeout, ref)
    assert m.rto_s == rto
    assert m.recovered == (outcome in ("recovered", "no-impact"))
    assert m.impact_observed == (outcome in ("recovered", "not-recovered"))
    assert m.rto_s is None or m.rto_s >= 0


@given(sts=statuses, inject=st.integers(0, 40), extra=st.integers(1, 20), stable=st.integers(1, 6))
def test_adding_ok_samples_after_recovery_never_changes_rto(sts, inject, extra, stable):
    pol = policy(stable=stable)
    before = measure_rto({"p": series(sts)}, at(inject), at(inject + 1), pol)
    after = measure_rto({"p": series(sts + [OK] * extra)}, at(inject), at(inject + 1), pol)
    if before.recovered and before.impact_observed:
        assert after.rto_s == before.rto_s
        assert after.t_recovered == before.t_recovered
        assert after.t_impact == before.t_impact


@given(
    pre=st.integers(0, 10),
    breaches=st.integers(1, 10),
    stable=st.integers(1, 10),
    tail=st.integers(0, 10),
    period=st.sampled_from([1.0, 5.0, 60.0]),
)
def test_breach_right_after_inject_then_stable_ok(pre, breaches, stable, tail, period):
    n_ok = math.ceil(stable / period) + tail
    sts = [OK] * pre + [BAD] * breaches + [OK] * n_ok
    t_inject = at(pre * period)
    pol = policy(stable=stable, timeout=10**6)
    m = measure_rto({"p": series(sts, period)}, t_inject, t_inject, pol)
    stable_start = at((pre + breaches) * period)
    assert m.t_impact == t_inject
    assert m.t_recovered == stable_start
    assert m.rto_s == (stable_start - t_inject).total_seconds()
    assert m.resolution_s == period


@given(
    sts=statuses,
    other=statuses,
    inject=st.integers(0, 40),
    shift=st.integers(-(10**6), 10**6),
    frm=st.sampled_from(list(MeasureFrom)),
)
def test_shifting_all_timestamps_shifts_nothing_relative(sts, other, inject, shift, frm):
    pol = policy(stable=3, timeout=20, frm=frm)
    base = {"a": series(sts), "b": series(other, period=2, start=0.5)}
    delta = timedelta(seconds=shift)
    moved = {k: [Sample(s.t + delta, s.value, s.status) for s in v] for k, v in base.items()}
    m1 = measure_rto(base, at(inject), at(inject + 3), pol)
    m2 = measure_rto(moved, at(inject) + delta, at(inject + 3) + delta, pol)
    assert m2.rto_s == m1.rto_s
    assert m2.recovered == m1.recovered and m2.impact_observed == m1.impact_observed
    assert m2.t_impact == (m1.t_impact + delta if m1.t_impact else None)
    assert m2.t_recovered == (m1.t_recovered + delta if m1.t_recovered else None)


@given(a=statuses, b=statuses)
def test_timeline_holds_exactly_when_every_probe_is_ok(a, b):
    sa, sb = series(a), series(b)
    for t, holds in hypothesis_timeline({"a": sa, "b": sb}):
        latest_a = [s for s in sa if s.t <= t]
        latest_b = [s for s in sb if s.t <= t]
        expect = bool(latest_a and latest_b and latest_a[-1].ok and latest_b[-1].ok)
        assert holds == expect
