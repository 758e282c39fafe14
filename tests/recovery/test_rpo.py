"""Measured data-loss window: properties of the RPO math plus worked examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cdevops_chaos.recovery.rpo import CanaryWrite, measure_rpo

T0 = datetime(2026, 11, 29, 5, 40, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def writes_from(spec: str, interval: float = 0.2, latency: float = 0.01) -> list[CanaryWrite]:
    """'d' durable, 'L' acked and proven lost, 'u' unacked, '?' acked but unconfirmed."""
    out = []
    for i, c in enumerate(spec):
        sent = at(i * interval)
        acked = None if c == "u" else sent + timedelta(seconds=latency)
        durable = {"d": True, "L": False, "u": None, "?": None}[c]
        out.append(CanaryWrite(i + 1, sent, acked, durable))
    return out


def test_nothing_lost_is_zero():
    m = measure_rpo(writes_from("dddudd"))
    assert m.rpo_s == 0.0
    assert m.lost_seqs == ()
    assert (m.acked, m.unacked) == (5, 1)
    assert m.first_lost_ack is None and m.last_durable_before_loss is None


def test_window_from_last_durable_before_loss_to_last_lost_ack():
    w = writes_from("ddLLdLd")
    m = measure_rpo(w)
    assert m.lost_seqs == (3, 4, 6)
    assert m.last_durable_before_loss == w[1].acked_at
    assert m.first_lost_ack == w[2].acked_at
    assert m.rpo_s == (w[5].acked_at - w[1].acked_at).total_seconds()  # type: ignore[operator]
    assert m.lost == 3


def test_unacked_writes_are_never_lost():
    m = measure_rpo(writes_from("dduuud"))
    assert m.lost_seqs == () and m.rpo_s == 0.0 and m.unacked == 3


def test_first_write_lost_starts_the_window_at_its_own_ack_and_says_so():
    w = writes_from("LLdd")
    m = measure_rpo(w)
    assert m.last_durable_before_loss is None
    assert m.rpo_s == (w[1].acked_at - w[0].acked_at).total_seconds()  # type: ignore[operator]
    assert any("no write was durable before" in n for n in m.notes)


def test_acked_but_unconfirmed_is_never_lost():
    w = writes_from("dd?L?d")
    m = measure_rpo(w)
    assert m.lost_seqs == (4,) and m.unconfirmed_seqs == (3, 5) and m.unconfirmed == 2
    # the window starts at the last *durable* write before the loss, not the unconfirmed one
    assert m.last_durable_before_loss == w[1].acked_at
    assert m.rpo_s == (w[3].acked_at - w[1].acked_at).total_seconds()  # type: ignore[operator]
    assert any("not as lost" in n for n in m.notes)


def test_unconfirmed_writes_beside_durable_ones_measure_zero():
    m = measure_rpo(writes_from("d??d"))
    assert m.rpo_s == 0.0 and m.lost == 0 and m.unconfirmed == 2


def test_every_acked_write_unconfirmed_is_not_measured():
    m = measure_rpo(writes_from("??u?"))
    assert m.rpo_s is None and m.lost == 0 and m.unconfirmed == 3 and m.unacked == 1
    assert any("not measured" in n for n in m.notes)


def test_empty_canary_is_not_measured():
    m = measure_rpo([])
    assert m.rpo_s is None and m.acked == 0 and m.unacked == 0


def test_nothing_acknowledged_is_not_measured():
    m = measure_rpo(writes_from("uuu"))
    assert m.rpo_s is None and m.unacked == 3
    assert any("no canary write was acknowledged" in n for n in m.notes)


spec_strategy = st.text(alphabet="dLu?", min_size=0, max_size=40)


def window_by_definition(spec: str, w: list[CanaryWrite]) -> float | None:
    """docs/design.md §7 written out plainly, for the properties to compare against."""
    acked = [(c, x) for c, x in zip(spec, w, strict=True) if c != "u"]
    if not any(c in "dL" for c, _ in acked):
        return None
    lost = [x for c, x in acked if c == "L"]
    if not lost:
        return 0.0
    first = lost[0]
    before = [x for c, x in acked if c == "d" and x.seq < first.seq]
    start = before[-1].acked_at if before else first.acked_at
    return max(0.0, (max(x.acked_at for x in lost) - start).total_seconds())  # type: ignore[operator,type-var]


@given(spec=spec_strategy)
def test_counts_lost_and_unconfirmed_sets(spec):
    m = measure_rpo(writes_from(spec))
    assert m.acked + m.unacked == len(spec)
    assert m.acked == sum(c != "u" for c in spec)
    assert m.lost_seqs == tuple(i + 1 for i, c in enumerate(spec) if c == "L")
    assert m.unconfirmed_seqs == tuple(i + 1 for i, c in enumerate(spec) if c == "?")


@given(spec=spec_strategy, interval=st.floats(0.01, 10), latency=st.floats(0, 5))
def test_the_window_is_the_design_rule_over_proven_lost_writes_only(spec, interval, latency):
    w = writes_from(spec, interval, latency)
    assert measure_rpo(w).rpo_s == window_by_definition(spec, w)


@given(spec=spec_strategy)
def test_not_measured_exactly_when_no_acknowledged_write_was_confirmed(spec):
    m = measure_rpo(writes_from(spec))
    assert (m.rpo_s is None) == (not any(c in "dL" for c in spec))


@given(spec=spec_strategy)
def test_unconfirmed_writes_never_move_the_window(spec):
    # an unconfirmed write weighs exactly as much as one never acknowledged
    if any(c in "dL" for c in spec):
        assert (
            measure_rpo(writes_from(spec)).rpo_s
            == measure_rpo(writes_from(spec.replace("?", "u"))).rpo_s
        )


@given(spec=spec_strategy, data=st.data())
def test_proving_an_unconfirmed_write_lost_never_shrinks_the_window(spec, data):
    unconfirmed = [i for i, c in enumerate(spec) if c == "?"]
    if not unconfirmed:
        return
    i = data.draw(st.sampled_from(unconfirmed))
    before = measure_rpo(writes_from(spec)).rpo_s
    after = measure_rpo(writes_from(spec[:i] + "L" + spec[i + 1 :])).rpo_s
    assert after is not None and (before is None or after >= before)


@given(spec=spec_strategy)
def test_rpo_zero_when_nothing_lost_and_positive_when_loss_follows_a_durable_write(spec):
    m = measure_rpo(writes_from(spec))
    if not m.lost_seqs:
        assert m.rpo_s in (0.0, None)
    elif m.last_durable_before_loss is not None:
        assert m.rpo_s is not None and m.rpo_s > 0


@given(spec=spec_strategy, interval=st.floats(0.01, 10), latency=st.floats(0, 5))
def test_window_bounded_by_the_ack_span(spec, interval, latency):
    w = writes_from(spec, interval, latency)
    m = measure_rpo(w)
    acks = [x.acked_at for x in w if x.acked_at is not None]
    span = (max(acks) - min(acks)).total_seconds() if acks else 0.0
    assert m.rpo_s is None or 0 <= m.rpo_s <= span


@given(spec=spec_strategy, seed=st.randoms())
def test_input_order_does_not_matter(spec, seed):
    w = writes_from(spec)
    shuffled = list(w)
    seed.shuffle(shuffled)
    assert measure_rpo(shuffled) == measure_rpo(w)


@given(spec=spec_strategy, shift=st.integers(-(10**6), 10**6))
def test_shifting_time_leaves_the_window_alone(spec, shift):
    d = timedelta(seconds=shift)
    w = writes_from(spec)
    moved = [
        CanaryWrite(x.seq, x.sent_at + d, x.acked_at + d if x.acked_at else None, x.durable)
        for x in w
    ]
    assert measure_rpo(moved).rpo_s == measure_rpo(w).rpo_s
