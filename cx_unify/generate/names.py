"""Reference data for the synthetic population: names, nicknames, places, teams.

Kept small and literal on purpose: it is data, not logic. Surnames are drawn with Zipf-like weights
so that common ones (Smith, Jones, Patel) are shared by many unrelated people, as in real files.
"""

from __future__ import annotations

# formal first name -> nicknames people also go by
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"), "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"), "Katherine": ("Kate", "Kathy", "Katie"),
    "Margaret": ("Maggie", "Peggy"), "Richard": ("Rick", "Richie"), "James": ("Jim", "Jamie"),
    "Michael": ("Mike", "Mick"), "Jennifer": ("Jen", "Jenny"), "Christopher": ("Chris",),
    "Alexander": ("Alex", "Sandy"), "Daniel": ("Dan", "Danny"), "Thomas": ("Tom", "Tommy"),
    "Joseph": ("Joe", "Joey"), "Patricia": ("Pat", "Trish"), "Susan": ("Sue", "Susie"),
    "Jonathan": ("Jon", "Jonny"), "Nicholas": ("Nick", "Nicky"), "Anthony": ("Tony",),
    "Matthew": ("Matt",), "Andrew": ("Andy", "Drew"), "Samantha": ("Sam", "Sammy"),
    "Victoria": ("Vicky", "Tori"), "Rebecca": ("Becky", "Becca"), "Deborah": ("Debbie", "Deb"),
    "Edward": ("Ed", "Ted", "Eddie"), "Charles": ("Charlie", "Chuck"), "Benjamin": ("Ben", "Benny"),
    "Jessica": ("Jess", "Jessie"), "Stephanie": ("Steph",), "Stephen": ("Steve",),
    "Timothy": ("Tim",), "Gregory": ("Greg",), "Frederick": ("Fred", "Freddie"),
    "Catherine": ("Cathy", "Cat"), "Eleanor": ("Ellie", "Nell"), "Abigail": ("Abby",),
    "Kimberly": ("Kim",), "Jacqueline": ("Jackie",), "Theodore": ("Theo", "Ted"),
    "Penelope": ("Penny",), "Harriet": ("Hattie",), "Oliver": ("Ollie",), "Joshua": ("Josh",),
    "Zachary": ("Zach",), "Nathaniel": ("Nate", "Nat"), "Gabriel": ("Gabe",),
    "Francesca": ("Fran", "Frankie"), "Dorothy": ("Dot", "Dottie"), "Leonard": ("Len", "Lenny"),
    "Raymond": ("Ray",), "Ronald": ("Ron", "Ronnie"), "Donald": ("Don", "Donny"),
    "Kenneth": ("Ken", "Kenny"), "Philip": ("Phil",), "Peter": ("Pete",), "Samuel": ("Sam",),
    "Alexandra": ("Alex", "Lexi"), "Christine": ("Chris", "Chrissie"), "Josephine": ("Jo", "Josie"),
    "Madeleine": ("Maddie",), "Isabella": ("Bella", "Izzy"), "Gwendolyn": ("Gwen",),
}

# names with accents: typed with and without them in different systems
ACCENTED_FIRST = (
    "José", "Zoë", "Renée", "Chloé", "André", "François", "Björn", "Inés", "Ángel", "Sébastien",
    "Léa", "Maël", "Jürgen", "Agnès", "Hélène", "Søren", "Łukasz", "Míriam", "Noël", "Raphaël",
    "Éva", "Joël", "Anaïs", "Günter", "Öykü", "Íñigo", "Tomás", "Ramón", "Márta", "Dagný",
)

PLAIN_FIRST = (
    "Olivia", "Emma", "Noah", "Liam", "Sophia", "Mia", "Lucas", "Amelia", "Ava", "Isla", "Grace",
    "Freya", "Ella", "Lily", "Ruby", "Evie", "Poppy", "Jack", "Harry", "George", "Leo", "Arthur",
    "Oscar", "Charlie", "Henry", "Archie", "Alfie", "Freddie", "Theo", "Finley", "Mohammed",
    "Muhammad", "Aisha", "Fatima", "Priya", "Arjun", "Ravi", "Anika", "Wei", "Mei", "Hiroshi",
    "Yuki", "Sanjay", "Deepa", "Kwame", "Amara", "Chidi", "Ngozi", "Sean", "Siobhan", "Niamh",
    "Ciaran", "Aoife", "Rhys", "Megan", "Carys", "Dylan", "Bethan", "Fiona", "Callum", "Hamish",
    "Ewan", "Mairi", "Paul", "Mark", "David", "John", "Sarah", "Laura", "Emily", "Hannah", "Anna",
    "Lucy", "Claire", "Helen", "Karen", "Julie", "Louise", "Rachel", "Nicola", "Joanne", "Lisa",
    "Gary", "Craig", "Neil", "Ian", "Simon", "Martin", "Adam", "Ryan", "Luke", "Kieran", "Nathan",
    "Jordan", "Tyler", "Connor", "Ethan", "Mason", "Logan", "Aaron", "Jake", "Kyle", "Scott",
)

FIRST_NAMES: tuple[str, ...] = tuple(NICKNAMES) + ACCENTED_FIRST + PLAIN_FIRST

SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Patel", "Thomas",
    "Johnson", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards",
    "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Clark", "Turner",
    "Hill", "Scott", "Cooper", "Morris", "Ward", "Moore", "King", "Watson", "Baker", "Harrison",
    "Morgan", "Young", "Allen", "Mitchell", "James", "Anderson", "Phillips", "Lee", "Bell", "Parker",
    "Davis", "Khan", "Ali", "Singh", "Kaur", "Shah", "Ahmed", "Hussain", "Begum", "Nguyen", "Chen",
    "Wang", "Kim", "Murphy", "Kelly", "O'Brien", "O'Connor", "McDonald", "MacLeod", "Campbell",
    "Stewart", "Reid", "Murray", "Fraser", "Graham", "Ross", "Hamilton", "Kennedy", "Doyle",
    "Lynch", "Quinn", "Byrne", "Walsh", "Owen", "Price", "Lloyd", "Jenkins", "Powell", "Rees",
    "Griffiths", "Howells", "Bennett", "Cox", "Richardson", "Gray", "Russell", "Fisher", "Marshall",
    "Chapman", "Webb", "Rogers", "Gibson", "Ellis", "Palmer", "Mason", "Holmes", "Mills", "Hunt",
    "Hunter", "Fox", "Knight", "Dixon", "Spencer", "Stevens", "Saunders", "Pearson", "Atkinson",
    "Lawrence", "Barker", "Bailey", "Matthews", "Butler", "Carter", "Collins", "Shaw", "Lloyd-Jones",
    "Smith-Jones", "Van der Berg", "De Souza", "Da Silva", "Müller", "García", "Martínez", "López",
    "González", "Pérez", "Sánchez", "Núñez", "Dubois", "Lefèvre", "Nowak", "Kowalski", "Jensen",
    "Østergaard", "Schröder", "Björk", "Rossi", "Ferrari", "Silva", "Santos", "Costa", "Fernández",
    "Gómez", "Díaz", "Moreau", "Lévesque", "Öztürk", "Yılmaz", "Šimek", "Dvořák", "Łukasik", "Sørensen",
)

# city -> (postcode outward codes, landline area code)
CITIES: dict[str, tuple[tuple[str, ...], str]] = {
    "London": (("E1", "E14", "N1", "N7", "SE1", "SE15", "SW1A", "SW9", "W2", "W12", "NW1", "EC1A"), "20"),
    "Manchester": (("M1", "M4", "M14", "M20", "M21"), "161"),
    "Birmingham": (("B1", "B5", "B15", "B29", "B13"), "121"),
    "Leeds": (("LS1", "LS2", "LS6", "LS8", "LS11"), "113"),
    "Glasgow": (("G1", "G3", "G12", "G41", "G51"), "141"),
    "Liverpool": (("L1", "L8", "L15", "L17"), "151"),
    "Bristol": (("BS1", "BS3", "BS6", "BS8"), "117"),
    "Sheffield": (("S1", "S2", "S10", "S11"), "114"),
    "Edinburgh": (("EH1", "EH3", "EH6", "EH9"), "131"),
    "Cardiff": (("CF10", "CF11", "CF14", "CF24"), "29"),
    "Newcastle upon Tyne": (("NE1", "NE2", "NE4", "NE6"), "191"),
    "Nottingham": (("NG1", "NG5", "NG7"), "115"),
    "Leicester": (("LE1", "LE2", "LE3"), "116"),
    "Southampton": (("SO14", "SO15", "SO17"), "23"),
    "Brighton": (("BN1", "BN2", "BN3"), "1273"),
    "Belfast": (("BT1", "BT7", "BT9"), "28"),
    "Oxford": (("OX1", "OX2", "OX4"), "1865"),
    "Cambridge": (("CB1", "CB2", "CB4"), "1223"),
    "York": (("YO1", "YO10", "YO31"), "1904"),
    "Aberdeen": (("AB10", "AB11", "AB24"), "1224"),
}

EMAIL_DOMAINS = (
    ("gmail.com", 30), ("outlook.com", 12), ("hotmail.co.uk", 12), ("yahoo.co.uk", 8),
    ("icloud.com", 8), ("btinternet.com", 6), ("live.co.uk", 5), ("sky.com", 4), ("aol.com", 2),
    ("protonmail.com", 2), ("acme-logistics.co.uk", 1), ("northwind.co.uk", 1), ("nhs.net", 2),
    ("ed.ac.uk", 1), ("virginmedia.com", 4),
)

# canonical team -> (department, Zendesk group name as typed there, call-centre queue code)
TEAMS: dict[str, tuple[str, str, str]] = {
    "Billing": ("Customer Service", "Billing", "BL"),
    "Technical Support": ("Customer Service", "Tech Support", "TS"),
    "Accounts": ("Customer Service", "Accounts & Cards", "AC"),
    "Retention": ("Sales", "Retention Desk", "RT"),
    "Claims": ("Operations", "Claims", "CL"),
    "General Enquiries": ("Customer Service", "General", "GE"),
}
UNMAPPED_TEAM = "Escalations Tier 3"  # a Zendesk group nobody added to the team mapping

# raw category value (Zendesk custom field) -> (canonical category, canonical team that owns it)
CATEGORIES: dict[str, tuple[str, str]] = {
    "billing__refund": ("Refund", "Billing"),
    "billing__overcharge": ("Overcharge", "Billing"),
    "billing__direct_debit": ("Direct debit", "Billing"),
    "tech__login": ("Login problem", "Technical Support"),
    "tech__app_crash": ("App crash", "Technical Support"),
    "tech__outage": ("Service outage", "Technical Support"),
    "account__update_details": ("Update details", "Accounts"),
    "account__card_lost": ("Lost card", "Accounts"),
    "account__closure": ("Account closure", "Retention"),
    "account__cancel_product": ("Cancel product", "Retention"),
    "claims__new": ("New claim", "Claims"),
    "claims__delay": ("Claim delay", "Claims"),
    "general__information": ("Information request", "General Enquiries"),
    "general__complaint_staff": ("Staff complaint", "General Enquiries"),
}
UNMAPPED_CATEGORIES = ("billing__crypto_refund", "legacy__misc_other")

AGENT_FIRST = (
    "Dorit", "Tova", "Avi", "Moshe", "Yael", "Noa", "Eitan", "Shira", "Gal", "Omer", "Tamar", "Ido",
    "Maya", "Ronit", "Yossi", "Liat", "Amit", "Hila", "Nir", "Dana", "Ben", "Keren", "Uri", "Tali",
)
