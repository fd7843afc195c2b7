"""What happens to each person in the window: tickets with their field history, surveys, calls.

Everything here is the truth, in UTC. Systems' quirks (local time zones, vendor headers) are applied
by writers.py; how a system writes the person down comes from people.py. Rules that keep a clean
generation free of findings (no survey praising a company while a complaint is open, no ticket left
open past its SLA with one owner, no unowned ticket older than a day) are applied here, so that a
check firing on a clean generation is a false alarm by construction.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from cx_unify.generate.faults import FaultPlan
from cx_unify.generate.names import (
    AGENT_FIRST,
    CATEGORIES,
    SURNAMES,
    TEAMS,
    UNMAPPED_CATEGORIES,
    UNMAPPED_TEAM,
)
from cx_unify.generate.people import (
    Person,
    Population,
    full_name,
    pick_email,
    render_name,
    render_phone,
)

SLA_HOURS = {"urgent": 24, "high": 48, "normal": 96, "low": 168}
RESOLUTION_MEDIAN_HOURS = {"urgent": 5, "high": 14, "normal": 28, "low": 45}
PRIORITIES = (("low", 0.2), ("normal", 0.55), ("high", 0.2), ("urgent", 0.05))
CHANNELS = (("email", 0.4), ("web", 0.2), ("phone", 0.3), ("chat", 0.1))
HAPPY = {"csat": 4, "nps": 9, "ces": 6}
SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
COMMENTS = {
    "low": (
        "Still waiting for a fix.",
        "Nobody owned my problem.",
        "Passed from team to team.",
        "Had to explain everything three times.",
        "",
    ),
    "mid": ("It was ok.", "Took a while but sorted.", "", "Average."),
    "high": ("Quick and friendly, thank you!", "Great help from the agent.", "", "Sorted first time."),
}
SUBJECTS = {
    "billing": ("Charged twice this month", "Refund not received", "Direct debit failed"),
    "tech": ("Cannot log in", "App keeps crashing", "Service down in my area"),
    "account": ("Change my address", "Lost my card", "Close my account", "Cancel my product"),
    "claims": ("New claim", "Claim taking too long"),
    "general": ("Question about my account", "Complaint about staff"),
    "legacy": ("Misc",),
}


def poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


@dataclass
class Window:
    start: datetime  # UTC, naive, inclusive
    days: int

    @property
    def end(self) -> datetime:  # exclusive
        return self.start + timedelta(days=self.days)

    def random_time(self, rng: random.Random, first_hour: int = 6, last_hour: int = 21) -> datetime:
        day = rng.randrange(self.days)
        seconds = rng.randrange(first_hour * 3600, last_hour * 3600)
        return self.start + timedelta(days=day, seconds=seconds)


class Activity:
    """Simulates people one by one and appends rows to the recorder's tables."""

    def __init__(
        self,
        rng: random.Random,
        window: Window,
        plan: FaultPlan,
        population: Population,
        recorder: Recorder,
        scale: float,
    ) -> None:
        self.rng, self.window, self.plan, self.population = rng, window, plan, population
        self.rec, self.clean = recorder, plan.clean
        per_team = max(3, round(12 * math.sqrt(scale)))
        self.agents = {
            team: [
                f"{AGENT_FIRST[(i * 7 + t) % len(AGENT_FIRST)]} {SURNAMES[(i * 13 + t * 5) % 60]}"
                for i in range(per_team)
            ]
            for t, team in enumerate(sorted(TEAMS))
        }
        self.ticket_seq = 100_000
        self.user_seq = 0
        self.call_seq = 30_000
        self.response_seq = 0
        self.category_keys = sorted(CATEGORIES)
        self.team_names = sorted(TEAMS)

    # ------------------------------------------------------------------ ids
    def _ticket_id(self) -> int:
        self.ticket_seq += self.rng.randrange(1, 4)
        return self.ticket_seq

    def _response_id(self) -> str:
        self.response_seq += 1
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        return "R_" + "".join(self.rng.choice(alphabet) for _ in range(15))

    # ------------------------------------------------------------------ person
    def simulate(self, person: Person) -> None:
        rng = self.rng
        faults = self.plan.of(person.index)
        if "duplicate_crm_id" in faults:
            person.crm_ids.append(self.population._crm())
        zendesk_users: dict[str, dict] = {}
        n_tickets = poisson(rng, 1.2)
        if faults and n_tickets == 0:
            n_tickets = 1
        open_intervals: list[tuple[datetime, datetime | None]] = []
        forced = [f for f in faults if f not in ("duplicate_crm_id",)]
        for i in range(n_tickets):
            fault = forced[i] if i < len(forced) else None
            interval = self._ticket(person, zendesk_users, fault, force_primary=bool(faults) and i == 0)
            if interval:
                open_intervals.append(interval)
        self._calls(person)
        self._surveys(person, open_intervals, faults)

    def _zendesk_user(self, person: Person, users: dict[str, dict], force_primary: bool) -> dict:
        rng = self.rng
        if force_primary:
            email, tag = person.emails[0], "primary_email"
        else:
            email, tag = pick_email(rng, person, self.population, self.clean, (0.65, 0.15, 0.10, 0.10))
        key = email or "<phone-only>"
        if key in users:
            return users[key]
        self.user_seq += 1
        first, last, name_tag = render_name(rng, person, self.clean)
        tags = [tag, name_tag]
        phone = None
        if rng.random() < (0.95 if email is None else 0.6):
            number = person.mobile
            if person.landline and not self.clean and (number is None or rng.random() < 0.25):
                number = person.landline
                tags.append("household_phone")
            if number:
                phone, phone_tag = render_phone(rng, number, self.clean)
                tags.append(phone_tag)
        external = person.crm_ids[0] if (force_primary or rng.random() < 0.75) else None
        if email is None and phone is None and external is None:
            tags.append("no_strong_id")
        user = {
            "id": 1_500_000_000_000 + self.user_seq * 17,
            "name": full_name(first, last, name_tag),
            "email": email,
            "phone": phone,
            "external_id": external,
            "city": person.city if rng.random() < 0.45 else None,
            "postcode": person.postcode if rng.random() < 0.45 else None,
            "birth_date": person.birth_date.isoformat() if rng.random() < 0.45 else None,
            "tags": "+".join(t for t in tags if t not in ("primary_email", "formal", "e164")) or "exact",
        }
        users[key] = user
        return user

    def _ticket(
        self, person: Person, users: dict[str, dict], fault: str | None, force_primary: bool
    ) -> tuple[datetime, datetime | None] | None:
        rng, w = self.rng, self.window
        end = w.end
        priority = rng.choices([p for p, _ in PRIORITIES], [x for _, x in PRIORITIES])[0]
        channel = rng.choices([c for c, _ in CHANNELS], [x for _, x in CHANNELS])[0]
        category = rng.choice(self.category_keys)
        team0 = CATEGORIES[category][1]
        created = w.random_time(rng, 6, 20)
        if fault in ("complaint_no_owner",):
            priority = "low"
            created = end - timedelta(days=rng.uniform(3.0, 6.0))
        elif fault == "open_past_sla_no_owner_change":
            priority = "normal"
            created = end - timedelta(days=rng.uniform(12.0, 30.0))
        elif fault == "happy_survey_open_complaint":
            priority = "low"
            created = end - timedelta(days=2, hours=rng.uniform(1, 12))
        elif fault == "handoff_loop":
            created = w.start + timedelta(days=rng.uniform(5, w.days - 20))
        if fault == "unmapped_category":
            category = rng.choice(UNMAPPED_CATEGORIES)
        user = self._zendesk_user(person, users, force_primary)
        ticket_id = self._ticket_id()
        if channel == "phone":
            self._call(
                person, TEAMS[team0][2], created - timedelta(minutes=rng.uniform(3, 15)), outcome="AGENT"
            )

        events: list[tuple[datetime, str, str, str, str]] = []
        events.append((created, "Status", "", "new", "Zendesk"))
        events.append((created, "Group", "", TEAMS[team0][1], "Zendesk"))
        events.append((created, "Priority", "", priority, "Zendesk"))
        team, assignee = team0, ""
        t = created
        if fault != "complaint_no_owner":
            t = created + timedelta(hours=min(8.0, rng.lognormvariate(math.log(1.5), 0.8)))
            assignee = rng.choice(self.agents[team])
            events.append((t, "Assignee", "", assignee, assignee))
            events.append((t, "Status", "new", "open", assignee))
        resolve_hours = rng.lognormvariate(math.log(RESOLUTION_MEDIAN_HOURS[priority]), 0.9)
        solved_at: datetime | None = t + timedelta(hours=resolve_hours)
        handoffs = 0
        if fault in ("complaint_no_owner", "open_past_sla_no_owner_change", "happy_survey_open_complaint"):
            solved_at = None
        elif fault == "handoff_loop":
            other = rng.choice([x for x in self.team_names if x != team0])
            bounces = rng.randrange(4, 7)
            for _ in range(bounces):
                t += timedelta(hours=rng.uniform(2, 10))
                new_team = other if team == team0 else team0
                events.append((t, "Group", TEAMS[team][1], TEAMS[new_team][1], assignee))
                events.append((t, "Assignee", assignee, "", assignee))
                team, handoffs = new_team, handoffs + 1
                t += timedelta(hours=rng.uniform(0.5, 3))
                assignee = rng.choice(self.agents[team])
                events.append((t, "Assignee", "", assignee, assignee))
            solved_at = t + timedelta(hours=rng.uniform(2, 24))
        elif fault is None and rng.random() < 0.12:  # normal handoffs: one, sometimes two
            for _ in range(1 if rng.random() < 0.8 else 2):
                assert solved_at is not None
                th = t + (solved_at - t) * rng.uniform(0.2, 0.6)
                new_team = rng.choice([x for x in self.team_names if x != team])
                events.append((th, "Group", TEAMS[team][1], TEAMS[new_team][1], assignee))
                events.append((th, "Assignee", assignee, "", assignee))
                t = th + timedelta(hours=min(6.0, rng.uniform(0.2, 3)))
                team, assignee, handoffs = new_team, rng.choice(self.agents[new_team]), handoffs + 1
                events.append((t, "Assignee", "", assignee, assignee))
                solved_at = max(solved_at, t + timedelta(hours=1))
        if fault == "unmapped_team":
            assert solved_at is not None
            th = t + (solved_at - t) * 0.5
            events.append((th, "Group", TEAMS[team][1], UNMAPPED_TEAM, assignee))
            t = th
        if (
            fault is None
            and solved_at is not None
            and rng.random() < 0.3
            and solved_at - t > timedelta(hours=2)
        ):
            tp = t + (solved_at - t) * rng.uniform(0.2, 0.5)
            events.append((tp, "Status", "open", "pending", assignee))
            events.append((tp + (solved_at - tp) * 0.5, "Status", "pending", "open", "Zendesk"))
        reopened = False
        if solved_at is not None:
            events.append((solved_at, "Status", "open", "solved", assignee or "Zendesk"))
            if fault is None and rng.random() < 0.07:
                reopened = True
                reopen = solved_at + timedelta(hours=rng.uniform(4, 72))
                events.append((reopen, "Status", "solved", "open", "Zendesk"))
                solved_at = reopen + timedelta(hours=rng.lognormvariate(math.log(10), 0.7))
                events.append((solved_at, "Status", "open", "solved", assignee))
            events.append((solved_at + timedelta(days=4), "Status", "solved", "closed", "Zendesk"))
        # a ticket still open at the export, past its SLA, changed owner at least once (clean rule), unless
        # that is its fault: a ticket carrying another fault (an unmapped category, say) is not stalled too
        sla = timedelta(hours=SLA_HOURS[priority])
        open_at_end = solved_at is None or solved_at >= end
        if open_at_end and fault != "open_past_sla_no_owner_change" and assignee and end - created > sla:
            tr = created + sla * 0.5
            if tr < end:
                new_owner = rng.choice([a for a in self.agents[team] if a != assignee] or [assignee])
                events.append((tr, "Assignee", assignee, new_owner, new_owner))
                assignee = new_owner
        events = sorted((e for e in events if e[0] < end), key=lambda e: e[0])
        # a fault carried by changes the export's end cuts off is not in the data: the answer key leaves
        # it out (the ticket's record stays as generated)
        recorded_fault = fault
        groups_after = [e[3] for e in events if e[1] == "Group"]  # the first is the team at creation
        if (fault == "unmapped_team" and UNMAPPED_TEAM not in groups_after) or (
            fault == "handoff_loop" and len(groups_after) - 1 <= 3  # F5's loop: more than 3 handoffs
        ):
            recorded_fault = None
        final_status = "new"
        current_group, current_assignee = TEAMS[team0][1], ""
        for _, field, _, new, _ in events:
            if field == "Status":
                final_status = new
            elif field == "Group":
                current_group = new
            elif field == "Assignee":
                current_assignee = new
        # the export's solve time is the last solve it has seen: a solve the export's end cuts off (a
        # reopened ticket solved again later) is not in it
        last_solve = max((e[0] for e in events if e[1] == "Status" and e[3] == "solved"), default=None)
        solved_final = last_solve if final_status in ("solved", "closed") else None
        # one latent satisfaction per ticket: the ticket system's rating and marketing's CSAT both measure it
        latent = 4.3 - 1.3 * reopened - 0.7 * handoffs + rng.gauss(0, 1.2)
        satisfaction = None
        if solved_final is not None and rng.random() < 0.25:
            satisfaction = "Good" if round(latent) >= 4 else "Bad"
        invalid = None
        if fault is None and self.plan.invalid_rows:
            invalid = self._take_invalid(("ticket_created_in_future", "ticket_missing_id"))
        row = {
            "id": "" if invalid == "ticket_missing_id" else str(ticket_id),
            "requester": user["name"],
            "requester_id": user["id"],
            "requester_external_id": user["external_id"],
            "requester_email": user["email"],
            "requester_phone": user["phone"],
            "requester_city": user["city"],
            "requester_postcode": user["postcode"],
            "requester_birth_date": user["birth_date"],
            "assignee": current_assignee,
            "group": current_group,
            "subject": rng.choice(SUBJECTS[category.split("__")[0]]),
            "status": final_status,
            "priority": priority,
            "via": channel,
            "category": category,
            "created_at": created if invalid != "ticket_created_in_future" else created.replace(year=2031),
            "updated_at": events[-1][0],
            "solved_at": solved_final,
            "satisfaction": satisfaction,
            "person_id": person.person_id,
            "variant": user["tags"],
            "fault": recorded_fault or invalid,
            "valid": invalid is None,
            "reopened": reopened,
            "handoffs": handoffs,
        }
        self.rec.add("tickets", row)
        self.rec.ticket_index[ticket_id] = row
        if invalid is None:
            for ts, field, old, new, actor in events:
                self.rec.add(
                    "ticket_updates",
                    {
                        "ticket_id": ticket_id,
                        "ts": ts,
                        "field": field,
                        "previous": old,
                        "new": new,
                        "updater": actor,
                    },
                )
        if solved_final is not None and fault is None and invalid is None and rng.random() < 0.35:
            self.rec.pending_csat.append((person, ticket_id, solved_final, latent))
        if invalid is not None:
            return None
        return (created, solved_final)

    def _take_invalid(self, kinds: tuple[str, ...]) -> str | None:
        """Places each planned contract-breaking record once, in the first eligible row."""
        for kind in kinds:
            if kind in self.plan.invalid_rows and self.rng.random() < 0.5:
                self.plan.invalid_rows.remove(kind)
                self.rec.invalid_placed.append(kind)
                return kind
        return None

    # ------------------------------------------------------------------ calls
    def _calls(self, person: Person) -> None:
        rng = self.rng
        for _ in range(poisson(rng, 1.6)):
            team = rng.choice(self.team_names)
            self._call(person, TEAMS[team][2], self.window.random_time(rng, 6, 20), outcome=None)
        if rng.random() < 0.3:  # a caller the IVR could not identify
            team = rng.choice(self.team_names)
            self._call(None, TEAMS[team][2], self.window.random_time(rng, 6, 20), outcome=None)

    def _call(self, person: Person | None, queue: str, started_utc: datetime, outcome: str | None) -> None:
        rng = self.rng
        if outcome is None:
            outcome = rng.choices(("AGENT", "HANG", "PHANTOM"), (0.8, 0.17, 0.03))[0]
        self.call_seq += 1
        identified = person is not None and rng.random() < 0.75
        crm = 0
        variant = "unidentified"
        if identified and person is not None:
            crm = person.crm_ids[0]
            variant = "crm_id"
            if len(person.crm_ids) > 1 and rng.random() < 0.5:
                crm, variant = person.crm_ids[1], "crm_duplicate"
        q_time = 0 if outcome == "PHANTOM" or rng.random() < 0.3 else int(rng.expovariate(1 / 70)) + 1
        ser_time = int(rng.lognormvariate(math.log(180), 0.7)) + 5 if outcome == "AGENT" else 0
        team = next(t for t, v in TEAMS.items() if v[2] == queue)
        server = rng.choice(self.agents[team]).split()[0].upper() if outcome == "AGENT" else "NO_SERVER"
        row = {
            "call_id": self.call_seq,
            "customer_id": crm,
            "priority": rng.choice((0, 0, 1, 2)),
            "type": queue,
            "started_utc": started_utc,
            "vru_time": rng.randrange(3, 20),
            "q_time": q_time,
            "outcome": outcome,
            "ser_time": ser_time,
            "server": server,
            "vru_line": f"AA{rng.randrange(1, 7):02d}{rng.randrange(1, 17):02d}",
            "person_id": person.person_id if crm else None,
            "variant": variant,
        }
        self.rec.add("calls", row)
        if crm and outcome == "AGENT" and rng.random() < 0.15 and person is not None:
            self.rec.pending_ces.append((person, crm, started_utc))

    # ------------------------------------------------------------------ surveys
    def _surveys(
        self, person: Person, open_intervals: list[tuple[datetime, datetime | None]], faults: list[str]
    ) -> None:
        rng, w = self.rng, self.window
        end = w.end

        def has_open(at: datetime) -> bool:
            return any(c <= at and (s is None or s > at) for c, s in open_intervals)

        for csat_person, ticket_id, solved, latent in self.rec.pending_csat:
            at = solved + timedelta(hours=rng.uniform(0.2, 72))
            if at >= end:
                continue
            score = max(1, min(5, round(latent)))
            if has_open(at) and score >= HAPPY["csat"]:
                score = 3
            self._response(csat_person, "csat", at, score, ticket_id=ticket_id)
        self.rec.pending_csat.clear()
        for ces_person, crm, call_at in self.rec.pending_ces:
            at = call_at + timedelta(hours=rng.uniform(0.2, 24))
            if at >= end:
                continue
            score = max(1, min(7, round(5.6 + rng.gauss(0, 1.4))))
            if has_open(at) and score >= HAPPY["ces"]:
                score = 4
            self._response(ces_person, "ces", at, score, crm=crm)
        self.rec.pending_ces.clear()
        months = max(1, round(w.days / 30.5))
        for _ in range(months):
            if rng.random() < 0.05:
                at = w.random_time(rng, 7, 22)
                score = max(0, min(10, round(7.6 + rng.gauss(0, 2.2))))
                if has_open(at) and score >= HAPPY["nps"]:
                    score = rng.randrange(0, 7)
                self._response(person, "nps", at, score)
        if "happy_survey_open_complaint" in faults:
            self._response(
                person,
                "nps",
                end - timedelta(hours=rng.uniform(2, 20)),
                rng.choice((9, 10)),
                force_primary=True,
                fault="happy_survey_open_complaint",
            )
        if "duplicate_crm_id" in faults:
            at = w.random_time(rng, 7, 22)
            score = max(0, min(10, round(7 + rng.gauss(0, 1))))
            if has_open(at) and score >= HAPPY["nps"]:
                score = rng.randrange(0, 7)  # the clean rule holds for every survey the fault does not target
            self._response(
                person, "nps", at, score, force_primary=True, crm=person.crm_ids[1], fault="duplicate_crm_id"
            )

    def _response(
        self,
        person: Person,
        survey: str,
        at: datetime,
        score: int,
        ticket_id: int | None = None,
        crm: int | None = None,
        force_primary: bool = False,
        fault: str | None = None,
    ) -> None:
        rng, clean = self.rng, self.clean
        tags: list[str] = []
        anonymous = survey == "nps" and not clean and not force_primary and rng.random() < 0.15
        email = phone = external = None
        if survey == "ces":
            first, last, name_tag = render_name(rng, person, clean)
            external = crm if (clean or rng.random() < 0.85) else None
            if person.mobile and (clean or rng.random() < 0.6):
                phone, phone_tag = render_phone(rng, person.mobile, clean)
                tags.append(phone_tag)
            tags.append(name_tag)
        elif anonymous:
            first, last, name_tag = render_name(rng, person, clean, (0.4, 0.2, 0.1, 0.1, 0.15, 0.05, 0.0))
            tags += [name_tag, "anonymous_link"]
        else:
            first, last, name_tag = render_name(rng, person, clean)
            if force_primary:
                email, email_tag = person.emails[0], "primary_email"
            else:
                email, email_tag = pick_email(rng, person, self.population, clean, (0.5, 0.2, 0.15, 0.15))
            tags += [email_tag, name_tag]
            external = (
                crm if crm is not None else (person.crm_ids[0] if (clean or rng.random() < 0.8) else None)
            )
            if person.mobile and not clean and rng.random() < 0.3:
                phone, phone_tag = render_phone(rng, person.mobile, clean)
                tags.append(phone_tag)
        if email is None and phone is None and external is None:
            tags.append("no_strong_id")
        invalid = None
        if fault is None and self.plan.invalid_rows:
            if survey == "csat":
                invalid = self._take_invalid(("csat_score_out_of_scale",))
            elif survey == "nps":
                invalid = self._take_invalid(("nps_score_not_a_number",))
        score_text = {"csat_score_out_of_scale": "9", "nps_score_not_a_number": "ten"}.get(
            invalid or "", str(score)
        )
        low, high = SCALES[survey]
        band = "low" if score < low + (high - low) * 0.5 else ("high" if score >= HAPPY[survey] else "mid")
        anon_fields = anonymous and rng.random() < 0.3
        self.rec.add(
            "surveys",
            {
                "survey": survey,
                "response_id": self._response_id(),
                "submitted": at,
                "duration": rng.randrange(20, 600),
                "score": score_text,
                "comment": rng.choice(COMMENTS[band]),
                "first": first,
                "last": last,
                "email": email,
                "external_ref": external,
                "phone": phone,
                "city": person.city if (anonymous or rng.random() < 0.6) and not anon_fields else None,
                "postcode": person.postcode if (anonymous or rng.random() < 0.6) else None,
                "birth_date": person.birth_date.isoformat()
                if rng.random() < (0.5 if anonymous else 0.4)
                else None,
                "ticket_id": ticket_id,
                "person_id": person.person_id,
                "variant": "+".join(t for t in tags if t not in ("primary_email", "formal", "e164"))
                or "exact",
                "fault": fault or invalid,
                "valid": invalid is None,
                "channel": "anonymous" if anonymous else "email",
            },
        )


class Recorder:
    """Rows of each table as lists of dicts, flushed to Polars frames by the caller."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {"tickets": [], "ticket_updates": [], "surveys": [], "calls": []}
        self.ticket_index: dict[int, dict] = {}
        self.pending_csat: list[tuple[Person, int, datetime, float]] = []
        self.pending_ces: list[tuple[Person, int, datetime]] = []
        self.invalid_placed: list[str] = []

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append(row)
