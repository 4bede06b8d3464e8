"""The economy module: the job market's law, the barred occupations, employers' and landlords'
look-ups, each switch at 0 without effect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from scoresim import Simulation
from scoresim.core.kernels import SERIAL_BELOW
from scoresim.modules import economy
from scoresim.society.people import BARRABLE_OCCUPATIONS, OCCUPATIONS, occupation_code
from scoresim.society.population import OCCUPATION_INCOME, OCCUPATION_SHARE
from tests.modules.conftest import month_draws, run, sim_of, spy

STUDENT, RETIRED = occupation_code("student"), occupation_code("retired")
WORKER, JOBLESS = occupation_code("worker"), occupation_code("unemployed")
BARRED = np.isin(np.arange(len(OCCUPATIONS)), [occupation_code(o) for o in BARRABLE_OCCUPATIONS])
MULT = np.array([OCCUPATION_INCOME[o] for o in OCCUPATIONS])
STATE = ("alive", "age", "occupation", "employed", "wage", "income", "assets")


def _tier(good: bool) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Codes and cumulative shares of the good (pay over the median) or the other jobs."""
    names = [
        o for o in OCCUPATION_SHARE if o != "unemployed" and (OCCUPATION_INCOME[o] > 1.0) == good
    ]
    share = np.array([OCCUPATION_SHARE[o] for o in names])
    cum = np.cumsum(share / share.sum())
    cum[-1] = 1.0
    return np.array([occupation_code(o) for o in names]), cum


def _shifted(p: float, shift: NDArray[np.float64]) -> NDArray[np.float64]:
    odds = p / (1.0 - p) * np.exp(shift)
    return np.where(shift == 0.0, p, odds / (1.0 + odds))


def expected_month(sim: Simulation, call: dict[str, Any]) -> dict[str, Any]:
    """The economy's month by its law, recomputed in numpy from the draws of its streams."""
    p = next(m for m in sim.modules if m.name == "economy").pars
    assert isinstance(p, economy.EconomyParams)
    b, t = call["before"], call["t"]
    n = b["alive"].size
    u = month_draws(sim, "economy", t, n)

    alive = b["alive"] == 1
    listed = alive & (b["blacklisted"] == 1)
    occ = b["occupation"].astype(np.int64).copy()
    moved = listed & BARRED[occ]
    occ[moved] = WORKER
    visible = alive & (b["score_public"] == 1)
    shift = np.where(visible, p.employer_lookup * (b["score"] - p.lookup_reference) / 100.0, 0.0)
    working = (occ != STUDENT) & (occ != RETIRED)
    employed = b["employed"] == 1
    u_job = u("job")
    lose = working & employed & (u_job < p.job_loss_rate)
    eligible = working & employed & ~lose & (t % 12 == 11) & alive & (occ != JOBLESS)
    moving = eligible & (u("move") < p.job_mobility)
    seeking = working & ~employed
    hired = seeking & (u_job < _shifted(p.job_find_rate, shift))
    unseen = seeking & (u_job < p.job_find_rate)
    new_job = moving | (hired & alive)
    u_tier = u("tier")
    good = u_tier < _shifted(economy.GOOD_SHARE, shift)
    good_unseen = u_tier < economy.GOOD_SHARE
    u_pick = u("pick")
    (gc, gcum), (pc, pcum) = _tier(True), _tier(False)
    drawn = np.where(
        good,
        gc[np.searchsorted(gcum, u_pick, side="right").clip(0, gc.size - 1)],
        pc[np.searchsorted(pcum, u_pick, side="right").clip(0, pc.size - 1)],
    )
    refused = new_job & listed & BARRED[drawn]
    new = np.where(refused, np.where(hired, WORKER, occ), drawn)
    occ_after = np.where(new_job, new, occ)
    emp_after = np.where(~working, 1, np.where(lose, 0, np.where(hired, 1, b["employed"])))
    ratio = MULT[occ_after] / MULT[b["occupation"]]
    return {
        "growth": (1.0 + p.income_growth) ** (1 / 12),
        "listed_new_jobs": int((new_job & listed).sum()),
        "occupation": occ_after,
        "employed": emp_after,
        "wage_ratio": ratio,
        "moved": int(moved.sum()),
        "eligible": int(eligible.sum()),
        "job_changes": int((moving & ~refused).sum()),
        "barred_refusals": int(refused.sum()),
        "hires": int((hired & alive).sum()),
        "lookup_hires_lost": int((alive & unseen & ~hired).sum()),
        "lookup_hires_gained": int((alive & hired & ~unseen).sum()),
        "lookup_good_jobs_lost": int((new_job & good_unseen & ~good).sum()),
        "lookup_good_jobs_gained": int((new_job & good & ~good_unseen).sum()),
    }


def check_month(sim: Simulation, call: dict[str, Any]) -> dict[str, Any]:
    """Assert that a month of the economy followed its law exactly; return what was expected."""
    want = expected_month(sim, call)
    got, b = call["after"], call["before"]
    np.testing.assert_array_equal(got["occupation"], want["occupation"])
    np.testing.assert_array_equal(got["employed"], want["employed"])
    growth = want["growth"]
    np.testing.assert_allclose(got["wage"], b["wage"] * growth * want["wage_ratio"], rtol=1e-5)
    m = sim.result().measures
    t = call["t"]
    for name in (
        "barred_refusals",
        "hires",
        "lookup_hires_lost",
        "lookup_hires_gained",
        "lookup_good_jobs_lost",
        "lookup_good_jobs_gained",
    ):
        assert m[name][t] == want[name], name
    assert m["barred_moved"][t] == want["moved"]
    if t % 12 == 11:
        assert m["job_changes"][t] == want["job_changes"]
        assert m["job_change_rate"][t] == pytest.approx(want["job_changes"] / want["eligible"])
    else:
        assert np.isnan(m["job_changes"][t]) and np.isnan(m["job_change_rate"][t])
    return want


def test_the_tables_hold_the_societys_occupation_shares() -> None:
    jobs = [o for o in OCCUPATION_SHARE if o != "unemployed"]
    total = sum(OCCUPATION_SHARE[o] for o in jobs)
    good = sum(OCCUPATION_SHARE[o] for o in jobs if OCCUPATION_INCOME[o] > 1.0)
    assert pytest.approx(good / total) == economy.GOOD_SHARE
    assert set(BARRABLE_OCCUPATIONS) <= set(economy.GOOD_JOBS)  # barred posts all pay well
    assert "worker" in economy.PLAIN_JOBS and "unemployed" not in economy.JOBS
    # Drawn without look-ups, a job's occupation has the society's share among jobs.
    n = 400_000
    c = economy.EconomyParams(job_loss_rate=0.0, job_find_rate=1.0).constants()
    e = economy.Earnings(
        alive=np.ones(n, np.uint8),
        age=np.full(n, 40, np.float32),
        occupation=np.full(n, WORKER, np.uint8),
        wage=np.ones(n, np.float32),
        employed=np.zeros(n, np.uint8),
        income=np.zeros(n, np.float32),
        assets=np.zeros(n, np.float32),
        listed=np.zeros(n, np.uint8),
        score=np.zeros(n, np.float32),
        public=np.zeros(n, np.uint8),
    )
    draws = economy.EconomyDraws(*(np.uint64(k) for k in range(5)))
    counts, _ = economy._earn(n, e, c, draws, False)
    assert counts[economy.COUNTS.index("hires")] == n
    freq = np.bincount(e.occupation, minlength=len(OCCUPATIONS)) / n
    for o in jobs:
        share = OCCUPATION_SHARE[o] / total
        assert abs(freq[occupation_code(o)] - share) < 4 * np.sqrt(share * (1 - share) / n), o
    # Pay follows the occupation's multiplier relative to the old one.
    np.testing.assert_allclose(
        e.wage, c.growth * MULT[e.occupation] / OCCUPATION_INCOME["worker"], rtol=1e-6
    )


def test_job_changes_follow_the_law_and_their_yearly_rate_its_parameter() -> None:
    for mobility in (0.08, 0.3):
        sim = sim_of({"economy": {"job_mobility": mobility}}, steps=24, agents=20_000)
        calls = spy(sim, "economy", STATE, STATE)
        sim.run()
        for call in calls:  # every month, not only the year's last, exactly by the law
            want = check_month(sim, call)
            if call["t"] % 12 == 11:
                n, k = want["eligible"], want["job_changes"]
                assert n > 8000
                # Nobody is listed: every drawn move happens, a binomial(n, mobility) count.
                assert abs(k / n - mobility) < 4 * np.sqrt(mobility * (1 - mobility) / n)
            else:  # outside a year's last month only hired job seekers change occupation
                b, a = call["before"], call["after"]
                changed = a["occupation"] != b["occupation"]
                assert not np.any(changed & (b["employed"] == 1))
    still = run({"economy": {"job_mobility": 0.0}}, steps=12, agents=3000)
    assert still.result().measures["job_changes"][11] == 0


def _listed_by_hand(
    mods: dict[str, dict[str, Any]], steps: int, agents: int = 6000
) -> tuple[Simulation, int]:
    """A run in which a third of working-age citizens are listed by hand before month 0 and
    200 of them put in a barred occupation (the blacklist module lists nobody itself).

    Returns:
        The run and how many listed citizens hold a barred occupation.
    """
    sim = sim_of(mods, steps=steps, agents=agents)
    people = sim.people
    occ = people["occupation"]
    working = np.flatnonzero((occ != STUDENT) & (occ != RETIRED))
    rng = np.random.default_rng(0)
    listed = rng.choice(working, working.size // 3, replace=False)
    people["blacklisted"][listed] = 1
    occ[listed[:200]] = occupation_code("reporter")
    return sim, int(np.count_nonzero(BARRED[occ[listed]]))


def test_nobody_listed_enters_or_keeps_a_barred_occupation() -> None:
    mods = {
        "economy": {"job_mobility": 1.0, "job_loss_rate": 0.1, "employer_lookup": 0.0},
        "scoring": {},
        "blacklist": {"threshold": 0},  # lists nobody: the listing by hand stays
    }
    sim, placed = _listed_by_hand(mods, steps=24)
    calls = spy(sim, "economy", STATE, STATE)
    sim.run()
    m = sim.result().measures
    p = sim.people
    # The economy moved the listed it found in a barred occupation, in month 0, all of them.
    assert m["barred_moved"][0] == placed and np.nansum(m["barred_moved"][1:]) == 0
    for call in calls:
        check_month(sim, call)
        listed = call["before"]["blacklisted"] == 1
        assert not np.any(listed & BARRED[call["after"]["occupation"]])
    # So the blacklist never had to bar anyone: the economy put no listed citizen in one.
    assert np.nansum(m["sanctions_applied"]) == np.nansum(m["blacklist_inflow"]) == 0
    assert p["barred"].sum() == 0
    # The listed were refused barred jobs: hired ones became workers, movers stayed.
    refused = np.nansum(m["barred_refusals"])
    assert refused > 50
    # Without listing, the same draws give barred jobs to some of the same citizens.
    free, _ = _listed_by_hand(mods, steps=24)
    free.people["blacklisted"][...] = 0
    free.run()
    assert np.nansum(free.result().measures["barred_refusals"]) == 0
    assert np.any(BARRED[free.people["occupation"]])


def test_the_listed_are_refused_at_the_rate_of_barred_draws() -> None:
    mods = {"economy": {"job_mobility": 1.0, "employer_lookup": 0.0}, "scoring": {}}
    sim, _ = _listed_by_hand({**mods, "blacklist": {"threshold": 0}}, steps=12, agents=30_000)
    calls = spy(sim, "economy", STATE, STATE)
    sim.run()
    want = check_month(sim, calls[11])
    barred = sum(OCCUPATION_SHARE[o] for o in BARRABLE_OCCUPATIONS) / sum(
        OCCUPATION_SHARE[o] for o in economy.JOBS
    )
    # Every listed citizen starting a job draws a barred post with its share among jobs
    # (without look-ups), and is refused it.
    n, k = want["listed_new_jobs"], want["barred_refusals"]
    assert n > 4000
    assert abs(k - barred * n) < 4 * np.sqrt(n * barred * (1 - barred))


def test_with_no_visible_score_the_job_market_is_the_score_blind_one() -> None:
    econ = {"job_loss_rate": 0.05, "job_mobility": 0.2}
    blind = run({"economy": econ}, steps=24)
    off = run(
        {"economy": {**econ, "employer_lookup": 0.0, "landlord_lookup": 0.0}, "scoring": {}},
        steps=24,
    )
    private = run(
        {
            "economy": {**econ, "employer_lookup": 1.0, "landlord_lookup": 0.05},
            "scoring": {"visibility": "private"},
        },
        steps=24,
    )
    looked = run({"economy": {**econ, "employer_lookup": 1.0}, "scoring": {}}, steps=24)
    for other in (off, private):
        for k in ("occupation", "employed", "wage", "income", "assets"):
            np.testing.assert_array_equal(blind.people[k], other.people[k], err_msg=k)
        m = other.result().measures
        for k in ("lookup_hires_lost", "lookup_hires_gained", "rent_surcharge_payers"):
            assert np.nansum(m[k]) == 0, k
    m = looked.result().measures
    assert np.nansum(m["lookup_hires_lost"]) > 0 and np.nansum(m["lookup_good_jobs_lost"]) > 0
    assert not np.array_equal(blind.people["occupation"], looked.people["occupation"])


def test_employers_hire_by_the_visible_score_as_the_law_says() -> None:
    mods = {
        "economy": {"job_loss_rate": 0.2, "employer_lookup": 1.0, "job_mobility": 0.5},
        "scoring": {},  # without enrolment every score is visible
    }
    sim = sim_of(mods, steps=12, agents=8000)
    calls = spy(sim, "economy", STATE, STATE)
    sim.run()
    lost = gained = good_lost = good_gained = 0
    for call in calls:  # the chances of hiring and of a good job, exactly by the law
        want = check_month(sim, call)
        lost += want["lookup_hires_lost"]
        gained += want["lookup_hires_gained"]
        good_lost += want["lookup_good_jobs_lost"]
        good_gained += want["lookup_good_jobs_gained"]
    assert min(lost, gained, good_lost, good_gained) > 0
    # What the law means: seekers under the reference are hired less often than those over it.
    hired, seekers = np.zeros(2), np.zeros(2)
    for call in calls:
        b, a = call["before"], call["after"]
        seek = (b["employed"] == 0) & (b["alive"] == 1)
        seek &= ~np.isin(b["occupation"], [STUDENT, RETIRED])
        for k, band in enumerate((b["score"] < 600, b["score"] >= 600)):
            seekers[k] += np.sum(seek & band)
            hired[k] += np.sum(seek & band & (a["employed"] == 1))
    assert seekers.min() > 100
    rate = hired / seekers
    assert rate[0] < 0.15 < rate[1]


def test_landlords_charge_visible_low_scores_as_the_law_says() -> None:
    charged = sim_of({"scoring": {}, "economy": {"landlord_lookup": 0.05}}, steps=1)
    free = sim_of({"scoring": {}, "economy": {"landlord_lookup": 0.0}}, steps=1)
    score = charged.people["score"].astype(np.float64)  # as month 0 sees it
    public = charged.people["score_public"] == 1
    charged.run()
    free.run()
    p = charged.people
    adult = (p["alive"] == 1) & (p["age"] >= 18)
    under = np.maximum(600.0 - score, 0.0) * (public & adult)
    rent = 0.05 / 1200.0 * p["income"].astype(np.float64) * under
    before_rent = free.people["assets"].astype(np.float64)
    paid = before_rent - p["assets"].astype(np.float64)
    # Up to the rounding of assets to float32.
    assert np.all(np.abs(paid - rent) <= 2.5e-7 * np.abs(before_rent) + 1e-9)
    m = charged.result().measures
    assert m["rent_surcharge_payers"][0] == np.count_nonzero(rent > 0) > 100
    assert m["rent_surcharge_paid"][0] == pytest.approx(rent.sum(), rel=1e-9)
    assert np.nansum(free.result().measures["rent_surcharge_payers"]) == 0
    for k in ("occupation", "employed", "wage", "income"):  # nothing else moved
        np.testing.assert_array_equal(p[k], free.people[k], err_msg=k)


def _random_earnings(n: int, rng: np.random.Generator) -> economy.Earnings:
    occ = rng.integers(0, len(OCCUPATIONS), n).astype(np.uint8)
    return economy.Earnings(
        alive=(rng.random(n) < 0.97).astype(np.uint8),
        age=rng.integers(0, 90, n).astype(np.float32),
        occupation=occ,
        wage=rng.lognormal(9, 0.5, n).astype(np.float32),
        employed=(rng.random(n) < 0.7).astype(np.uint8),
        income=np.zeros(n, np.float32),
        assets=rng.lognormal(10, 1, n).astype(np.float32),
        listed=(rng.random(n) < 0.2).astype(np.uint8),
        score=rng.uniform(350, 950, n).astype(np.float32),
        public=(rng.random(n) < 0.6).astype(np.uint8),
    )


@pytest.mark.parametrize("year_end", [False, True])
def test_the_earnings_kernel_agrees_serially_and_in_parallel(year_end: bool) -> None:
    n = SERIAL_BELOW + 70_000  # several chunks
    x = _random_earnings(n, np.random.default_rng(4))
    c = economy.EconomyParams(employer_lookup=0.5, landlord_lookup=0.05).constants()
    draws = economy.EconomyDraws(*(np.uint64(k + 11) for k in range(5)))
    results = []
    run_kernel: Callable[..., Any]
    for run_kernel in (economy._earn.serial, economy._earn.parallel):
        e = type(x)(*(a.copy() for a in x))
        counts, sums = run_kernel(e, c, draws, year_end)
        results.append((counts, sums, e))
    (c0, s0, e0), (c1, s1, e1) = results
    np.testing.assert_array_equal(c0, c1)
    np.testing.assert_array_equal(s0, s1)
    for a, b in zip(e0, e1, strict=True):
        np.testing.assert_array_equal(a, b)
    got = dict(zip(economy.COUNTS, c0.tolist(), strict=True))
    assert got["barred_moved"] > 0 and got["rent_surcharge_payers"] > 0
    assert (got["job_changes"] > 0) == year_end
