"""A citizen's story in a few sentences, every number taken from their snapshots.

The facts (when they were listed, how much they had posted by then, friends lost of those
they had, months silent, income and perks) are returned beside the sentences, so that a
test can hold each sentence to the data.
"""

from __future__ import annotations

from typing import Any

from scoresim.society.people import OCCUPATIONS

__all__ = ["first_listing", "narrate", "year_of"]


def year_of(step: int) -> int:
    """The year (1, 2, ...) a month's step falls in."""
    return step // 12 + 1


def first_listing(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first snapshot at which the citizen was on the blacklist, and when they were listed.

    ``month`` is the step they were listed at (from the months they had been listed then).
    """
    row = next((h for h in history if h.get("blacklisted")), None)
    if row is None:
        return None
    month = int(row["step"]) - int(row.get("listed_months") or 1) + 1
    return {
        "step": row["step"],
        "month": month,
        "year": year_of(month),
        "score": row.get("score"),
        "expressions": row.get("expressions"),
        "violations": row.get("violations"),
    }


def _count_bits(bits: Any) -> int:
    return bin(int(bits or 0)).count("1")


def narrate(
    me: dict[str, Any],
    history: list[dict[str, Any]],
    listed: dict[str, Any] | None,
    changes: dict[str, Any] | None,
    exits: dict[str, Any],
) -> tuple[list[str], dict[str, Any]]:
    """The sentences of the story and the facts they state.

    Args:
        me: The citizen's row at the snapshot looked at.
        history: Their rows at every snapshot, oldest first.
        listed: Their first listing (:func:`first_listing`), if any.
        changes: Their friends lost and gained (``friends.changes``), if known.
        exits: Whether the scenario's lists have exits (``blacklist.exits``).
    """
    facts: dict[str, Any] = {}
    says: list[str] = []
    code = int(me.get("occupation", -1) or 0)
    job = OCCUPATIONS[code] if 0 <= code < len(OCCUPATIONS) else "of unknown occupation"
    views = "holds dissenting views" if me.get("dissenter") else "a conformer"
    says.append(f"Citizen {me.get('id')}: {float(me.get('age', 0)):.0f} years old, {job}, {views}.")
    first, last = (history[0], history[-1]) if history else ({}, {})
    if listed is not None:
        facts.update(
            listed_year=listed["year"],
            listed_month=listed["month"],
            expressions_when_listed=listed["expressions"],
            violations_when_listed=listed["violations"],
        )
        says.append(
            f"Listed in year {listed['year']} after posting dissent or news in "
            f"{listed['expressions']} months ({listed['violations']} violations on record)."
        )
        if last.get("blacklisted"):
            facts["months_listed"] = last.get("listed_months")
            tail = "; this scenario's list has no exit" if not exits["has_exit"] else ""
            says.append(f"Still on the list after {last.get('listed_months')} months{tail}.")
        else:
            says.append(f"Off the list by year {year_of(int(last['step']))}.")
    elif exits["has_list"] and "blacklisted" in last:
        says.append("Never on the blacklist.")
    if changes is not None:
        facts.update(
            friends_first=changes["first"],
            friends_lost=changes["lost"],
            friends_gained=changes["gained"],
            cut_by_others=changes["cut_by_others"],
            cut_by_them=changes["cut_by_them"],
        )
        span = (
            f"between year {year_of(changes['from_step'])} and year {year_of(changes['to_step'])}"
        )
        line = (
            f"Lost {changes['lost']} of {changes['first']} friends {span} and made "
            f"{changes['gained']} new ones"
        )
        if changes["cut_by_others"] is not None:
            line += (
                f"; in those years others cut {changes['cut_by_others']} ties with them for "
                f"score reasons, and they cut {changes['cut_by_them']}"
            )
        says.append(line + ".")
    if last.get("self_censored"):
        facts["self_censored"] = last["self_censored"]
        says.append(f"Kept silent out of fear in {last['self_censored']} months.")
    if "income" in last and "income" in first:
        facts.update(income_first=first["income"], income_last=last["income"])
        says.append(f"Income went from ${first['income']:,.0f} to ${last['income']:,.0f} a year.")
    if "perks" in last and "perks" in first:
        facts.update(perks_first=_count_bits(first["perks"]), perks_last=_count_bits(last["perks"]))
        worth = f" (worth ${last['perk_value']:,.0f} a year)" if last.get("perk_value") else ""
        if facts["perks_first"] or facts["perks_last"]:
            says.append(
                f"Perks held went from {facts['perks_first']} to {facts['perks_last']}{worth}."
            )
        else:
            says.append("Held no perks.")
    if "score" in last and "score" in first:
        facts.update(score_first=first["score"], score_last=last["score"])
        says.append(f"Score went from {first['score']:.0f} to {last['score']:.0f}.")
    return says, facts
