"""The synthetic population and how each system writes a person down.

A `Person` is the truth. The render functions produce what a system holds for that person: an email
that may be a secondary address or carry a typo, a phone in one of many formats (or the household's
landline), a name as a nickname, swapped, upper-cased or with its accents lost. Every render returns
the tags of what it did, so ground_truth.json can say how each split was made.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from cx_unify.generate.names import (
    ACCENTED_FIRST,
    CITIES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    NICKNAMES,
    SURNAMES,
)

DOMAIN_TYPOS = {
    "gmail.com": ("gmial.com", "gmail.co", "gmal.com", "gnail.com"),
    "outlook.com": ("outlok.com", "outlook.co", "outllook.com"),
    "hotmail.co.uk": ("hotmial.co.uk", "hotmail.co", "hotmail.com"),
    "yahoo.co.uk": ("yaho.co.uk", "yahoo.co.k", "yahoo.com"),
    "icloud.com": ("iclould.com", "icloud.co"),
}


def ascii_fold(text: str) -> str:
    """'José Müller' -> 'Jose Muller' (what a system without Unicode support stores)."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return folded.replace("ø", "o").replace("Ø", "O").replace("ł", "l").replace("Ł", "L").replace("ı", "i")


@dataclass
class Person:
    index: int
    first: str
    last: str
    birth_date: date
    city: str
    postcode: str
    mobile: str | None  # national significant number, e.g. "7911123456"
    landline: str | None  # household landline, national significant number
    emails: list[str]
    crm_ids: list[int]
    household: int
    nickname: str | None = None
    typo_email: str | None = None
    tags: set[str] = field(default_factory=set)

    @property
    def person_id(self) -> str:
        return f"P{self.index:07d}"


class Population:
    """Builds people one at a time; keeps emails and CRM ids unique across everyone."""

    def __init__(self, rng: random.Random, clean: bool) -> None:
        self.rng = rng
        self.clean = clean
        self.emails_taken: set[str] = set()
        self.crm_taken: set[int] = set()
        self.mobiles_taken: set[str] = set()
        self._surname_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(SURNAMES))]
        self._domains = [d for d, _ in EMAIL_DOMAINS]
        self._domain_weights = [w for _, w in EMAIL_DOMAINS]
        self._household_left = 0
        self._household: Person | None = None
        self._household_id = 0
        self._household_firsts: set[str] = set()  # first names given in the current household

    def _crm(self) -> int:
        while True:
            crm = self.rng.randrange(10_000_000, 99_999_999)
            if crm not in self.crm_taken:
                self.crm_taken.add(crm)
                return crm

    def _mobile(self) -> str:
        while True:
            number = f"7{self.rng.randrange(4, 10)}{self.rng.randrange(0, 10**8):08d}"
            if number not in self.mobiles_taken:
                self.mobiles_taken.add(number)
                return number

    def _email(self, first: str, last: str) -> str:
        rng = self.rng
        f = ascii_fold(first).lower().replace("'", "").replace(" ", "").replace("-", "")
        surname = ascii_fold(last).lower().replace("'", "").replace(" ", "").replace("-", "")
        domain = rng.choices(self._domains, self._domain_weights)[0]
        pattern = rng.randrange(6)
        local = [
            f"{f}.{surname}",
            f"{f}{surname}",
            f"{f[0]}.{surname}",
            f"{f}_{surname}",
            f"{surname}.{f}",
            f"{f}{surname[0]}",
        ][pattern]
        candidate = f"{local}@{domain}"
        while candidate in self.emails_taken:
            candidate = f"{local}{rng.randrange(1, 999)}@{domain}"
        self.emails_taken.add(candidate)
        return candidate

    def make_typo(self, email: str) -> str:
        """One or two edits a person or an agent makes when typing an address."""
        rng = self.rng
        for _ in range(20):
            local, domain = email.split("@", 1)
            edits = 1 if rng.random() < 0.7 else 2
            for _ in range(edits):
                kind = rng.randrange(4)
                if kind == 3 and domain in DOMAIN_TYPOS:
                    domain = rng.choice(DOMAIN_TYPOS[domain])
                    continue
                if len(local) < 3:
                    local = local + local[-1]
                    continue
                i = rng.randrange(len(local) - 1)
                if kind == 0:  # swap neighbours
                    local = local[:i] + local[i + 1] + local[i] + local[i + 2 :]
                elif kind == 1:  # drop a letter
                    local = local[:i] + local[i + 1 :]
                else:  # double a letter
                    local = local[:i] + local[i] + local[i:]
            candidate = f"{local}@{domain}"
            if candidate != email and candidate not in self.emails_taken:
                self.emails_taken.add(candidate)
                return candidate
        return email

    def person(self, index: int) -> Person:
        rng = self.rng
        in_household = self._household_left > 0 and self._household is not None
        if in_household:
            head = self._household
            assert head is not None
            self._household_left -= 1
            last = head.last if rng.random() < 0.85 else rng.choices(SURNAMES, self._surname_weights)[0]
            city, postcode, landline, household = head.city, head.postcode, head.landline, head.household
        else:
            last = rng.choices(SURNAMES, self._surname_weights)[0]
            city = rng.choice(list(CITIES))
            outward, area = CITIES[city]
            postcode = (
                f"{rng.choice(outward)} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            )
            self._household_id += 1
            household = self._household_id
            landline = None
            if rng.random() < 0.22:  # starts a household of 2-4 sharing a landline and address
                self._household_left = rng.choice((1, 1, 2, 3))
                digits = 10 - len(area)
                landline = f"{area}{rng.randrange(10 ** (digits - 1), 10**digits)}"
        # one first name per household: namesakes sharing a landline (a father and a son) could be told
        # apart by nothing the records carry, so no check or matcher could be right about them
        first = rng.choice(FIRST_NAMES)
        while in_household and first in self._household_firsts:
            first = rng.choice(FIRST_NAMES)
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 65 * 365))
        emails = [self._email(first, last)]
        if not self.clean:
            if rng.random() < 0.35:
                emails.append(self._email(first, last))
            if rng.random() < 0.10:
                emails.append(self._email(first, last))
        person = Person(
            index=index,
            first=first,
            last=last,
            birth_date=birth,
            city=city,
            postcode=postcode,
            mobile=self._mobile() if rng.random() < 0.92 else None,
            landline=landline,
            emails=emails,
            crm_ids=[self._crm()],
            household=household,
        )
        if first in NICKNAMES:
            person.nickname = rng.choice(NICKNAMES[first])
        if not in_household and landline:
            self._household = person
            self._household_firsts = set()
        if landline:
            self._household_firsts.add(first)
        return person


# ---------------------------------------------------------------- how systems write people down

PHONE_FORMATS_MOBILE = (
    "+44{n}",
    "0{a} {b}",
    "0{n}",
    "+44 {a} {b}",
    "+44 (0){a} {b}",
    "(0{a}) {b3} {b4}",
    "0{a}-{b3}-{b4}",
    "0044 {a} {b}",
    "44{n}",
)


def render_phone(rng: random.Random, national: str, clean: bool) -> tuple[str, str]:
    """A GB number in one of the formats people and systems use; returns (text, tag)."""
    if clean:
        return f"+44{national}", "e164"
    a, b = national[:4], national[4:]
    if not national.startswith("7"):  # landline: area code length varies
        a, b = national[:3], national[3:]
    fmt = rng.choice(PHONE_FORMATS_MOBILE)
    text = fmt.format(n=national, a=a, b=b, b3=b[:3], b4=b[3:])
    return text, ("e164" if fmt == "+44{n}" else "phone_format")


def render_name(
    rng: random.Random,
    person: Person,
    clean: bool,
    weights: tuple[float, ...] = (0.55, 0.15, 0.08, 0.07, 0.05, 0.05, 0.05),
) -> tuple[str, str, str]:
    """(first, last, tag) as one system holds them; formal in a clean generation."""
    if clean:
        return person.first, person.last, "formal"
    kind = rng.choices(
        ("formal", "nickname", "swapped", "accent_stripped", "lower", "upper", "initial"), weights
    )[0]
    first, last = person.first, person.last
    if kind == "nickname" and person.nickname:
        return person.nickname, last, "nickname"
    if kind == "swapped":
        return last, first, "swapped_name"
    if kind == "lower":
        return first.lower(), last.lower(), "lower_case"
    if kind == "upper":
        return first.upper(), last.upper(), "upper_case"
    if kind == "initial":
        return f"{first[0]}.", last, "initial"
    if kind == "accent_stripped" or (first in ACCENTED_FIRST and rng.random() < 0.5):
        folded = (ascii_fold(first), ascii_fold(last))
        if folded != (first, last):
            return folded[0], folded[1], "accent_stripped"
    return first, last, "formal"


def full_name(first: str, last: str, tag: str) -> str:
    """How a single 'name' field holds (first, last): swapped names come as 'Last, First'."""
    if tag == "swapped_name":
        return f"{first}, {last}"  # first already holds the surname
    return f"{first} {last}"


def pick_email(
    rng: random.Random,
    person: Person,
    population: Population,
    clean: bool,
    weights: tuple[float, float, float, float],
) -> tuple[str | None, str]:
    """(email or None, tag) by weights for (primary, another address, typo, none)."""
    if clean:
        return person.emails[0], "primary_email"
    kind = rng.choices(("primary", "alt", "typo", "none"), weights)[0]
    if kind == "alt" and len(person.emails) > 1:
        return rng.choice(person.emails[1:]), "alt_email"
    if kind == "typo":
        if person.typo_email is None:
            person.typo_email = population.make_typo(person.emails[0])
        return person.typo_email, "email_typo"
    if kind == "none":
        return None, "no_email"
    return person.emails[0], "primary_email"
