#!/usr/bin/env python3
"""Writes the evaluation corpus and golden set of the pipeline's retrieval evaluation (eval/newsroom/).

Every company, person, product and place here is invented, so no language or embedding model knows the answers from
its training: retrieval has to find them. Each of 60 companies gets 5 short news items of 5 kinds (leadership,
results, product, site, recall): the other 4 items of a company are its confusable distractors (same company,
different facts), and the same kind of item of the 59 other companies shares its wording. One question per company
asks, in words other than the item's, for a fact of one of its items (kind "paraphrase", q01 to q60).

Forty more (q61 to q100) ask the other way round, as people search a newsroom: they name a detail only one item
holds (the new chief executive, a product's name, the units recalled, the jobs a site creates) and ask which company
it is about (kinds "person", "product", "figure"); the fact is the company's name. These are the questions a
keyword index answers well and sentence embeddings less so: the rare word or number carries the question.

Deterministic: run it again and the same files come out (python3 eval/generate_newsroom.py).
"""
import json
import os
import random

random.seed(20261126)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "newsroom")

SYL = ["zeph", "kor", "vath", "lum", "dra", "mel", "quin", "tor", "sab", "rin", "ost", "vel", "nar", "ix", "bel",
       "cor", "dun", "fal", "gri", "hal", "jor", "kes", "lor", "mor", "pel", "ros", "sul", "tam", "ulm", "vor"]
SECTORS = ["Cosmetics", "Logistics", "Robotics", "Foods", "Textiles", "Pharma", "Energy", "Optics", "Mining",
           "Aerospace", "Software", "Brewing", "Shipping", "Ceramics", "Biotech"]
FIRST = ["Mara", "Ilse", "Teodor", "Anouk", "Rasmus", "Liora", "Björn", "Sanna", "Orrin", "Yelena", "Caspar", "Noor",
         "Fenna", "Dario", "Helka", "Ivo", "Juna", "Kasimir", "Lumi", "Matteo", "Nele", "Oskar", "Pia", "Quirin"]
LAST = ["Velde", "Aubertin", "Strand", "Kovar", "Lindqvist", "Marchetti", "Oyelaran", "Petrov", "Quist", "Ravel",
        "Sorensen", "Tamm", "Ulrich", "Varga", "Wendt", "Ysebaert", "Zorić", "Achterberg", "Bellweather", "Castell"]
CITIES = ["Kelmora", "Ostravik", "Brenhaven", "Dulcar", "Feyport", "Galmund", "Harrowick", "Istrelle", "Jorvale",
          "Kestrin", "Lunaris", "Morvaine", "Norhold", "Perrowmere", "Quellon", "Rasmark", "Sevrin", "Tollbrook"]
COUNTRIES = ["Valdoria", "Estmark", "Corvenia", "Luthania", "Brisval", "Ondrelle", "Tessaly", "Marquenne"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
QUARTERS = ["first quarter", "second quarter", "third quarter", "fourth quarter"]
INPUTS = ["energy", "freight", "packaging", "labour", "raw material", "component"]
CATEGORIES = [("handheld scanner", "reads labels through plastic film"), ("solar roof tile", "doubles as insulation"),
              ("delivery drone", "carries parcels of up to four kilograms"), ("smart kettle", "boils water in sixty seconds"),
              ("hearing aid", "filters wind noise"), ("warehouse robot", "lifts pallets on its own"),
              ("water filter", "removes microplastics"), ("e-bike motor", "recharges while braking")]
FACILITIES = ["factory", "distribution centre", "research laboratory", "battery plant", "training campus"]
SEASONS = ["spring", "summer", "autumn", "winter"]
DEFECTS = ["overheating batteries", "loose hinges", "a faulty valve", "cracked casings", "mislabelled allergens",
           "a software fault that resets settings", "brittle plastic clips", "contaminated seals"]
ITEMS = ["pressure cooker", "child car seat", "space heater", "baby monitor", "garden pump", "ski binding",
         "coffee grinder", "power bank"]
PRODUCT_WORDS = ["Aster", "Brio", "Cobalt", "Dune", "Ember", "Fjord", "Glint", "Halo", "Ion", "Juniper", "Kite",
                 "Lyra", "Meridian", "Nova", "Orbit", "Pulse"]


def company_name(used):
    while True:
        n = (random.choice(SYL) + random.choice(SYL) + random.choice(["ine", "ex", "a", "on", "is", "ar"])).capitalize()
        name = n + " " + random.choice(SECTORS)
        if n not in used:
            used.add(n)
            return name


def person():
    return random.choice(FIRST) + " " + random.choice(LAST)


def items_of(company):
    short = company.split()[0]
    ceo, founder, other = person(), person(), company_name(set()).split()[0] + " Group"
    while founder == ceo:
        founder = person()
    day = f"{random.randint(2, 27)} {random.choice(MONTHS)}"
    amount = random.randint(120, 980)
    pct = random.randint(3, 29)
    margin = random.randint(6, 24)
    quarter = random.choice(QUARTERS)
    category, feature = random.choice(CATEGORIES)
    product = random.choice(PRODUCT_WORDS) + " " + str(random.randint(2, 9)) + random.choice(["0", "00", "X", "S"])
    ship = random.choice(MONTHS)
    price = random.randint(49, 1490)
    city, old_city = random.sample(CITIES, 2)
    facility = random.choice(FACILITIES)
    jobs = random.randint(80, 1900)
    capex = random.randint(15, 640)
    units = random.randint(2, 190) * 1000
    item = random.choice(ITEMS)
    defect = random.choice(DEFECTS)
    country = random.choice(COUNTRIES)
    cost = random.randint(2, 90)
    pronoun = random.choice(["She", "He"])
    return {
        "details": {"ceo": ceo, "product": product, "units": f"{units:,}", "jobs": str(jobs)},
        "leadership": {
            "heading": f"{company} names new chief executive",
            "text": f"{company} appointed {ceo}, previously head of operations at {other}, as chief executive on "
                    f"{day}. {pronoun} replaces founder {founder}, who becomes chairman. The board said the search "
                    f"took {random.randint(3, 14)} months and drew on candidates from {random.randint(4, 11)} "
                    f"countries.",
            "questions": [f"Who is now running {short}?", f"Who took over the top job at {company}?",
                          f"Which executive did {short} pick to lead the company?"],
            "fact": ceo,
        },
        "results": {
            "heading": f"{company} reports {quarter} figures",
            "text": f"{company} reported revenue of {amount} million euros for the {quarter}, up {pct} percent "
                    f"from a year earlier. Margins narrowed to {margin} percent because of higher {random.choice(INPUTS)} "
                    f"costs. The company kept its outlook for the year.",
            "questions": [f"How much money did {short} bring in during the {quarter}?",
                          f"What were the sales of {company} in the {quarter}?",
                          f"How large was {short}'s turnover for the {quarter}?"],
            "fact": f"{amount} million euros",
        },
        "product": {
            "heading": f"{company} unveils the {product}",
            "text": f"{company} unveiled the {product}, a {category} that {feature}. It will ship in {ship} at a "
                    f"price of {price} euros. Pre-orders opened in {random.randint(3, 30)} countries.",
            "questions": [f"When can customers get the {product} from {short}?",
                          f"In which month does {short}'s new {category} reach buyers?",
                          f"When will the {product} be delivered?"],
            "fact": ship,
        },
        "site": {
            "heading": f"{company} plans new {facility}",
            "text": f"{company} will build a {facility} in {city}, creating {jobs} jobs. Construction starts in "
                    f"{random.choice(SEASONS)} and costs {capex} million euros. The site replaces an older one in "
                    f"{old_city}.",
            "questions": [f"Where is {short} putting its new {facility}?",
                          f"In which town will {company} construct the {facility}?",
                          f"What location did {short} choose for the {facility}?"],
            "fact": city,
        },
        "recall": {
            "heading": f"{company} recalls {item}s",
            "text": f"{company} is recalling {units:,} units of its {item} after reports of {defect}. Regulators in "
                    f"{country} opened an inquiry on {day}. The recall is expected to cost about {cost} million "
                    f"euros.",
            "questions": [f"Why is {short} pulling back its {item}?", f"What is wrong with the {item} sold by {company}?",
                          f"What problem made {short} take back the {item}?"],
            "fact": defect,
        },
    }


REVERSE = [
    ("person", "ceo", "leadership", ["Which company did {d} join as its new boss?",
                                     "Where has {d} become chief executive?",
                                     "Which firm is {d} now in charge of?"]),
    ("product", "product", "product", ["Who makes the {d}?", "Which firm is behind the {d}?",
                                       "Which company sells the {d}?"]),
    ("figure", "units", "recall", ["Whose recall covers {d} units?", "Which company must take back {d} units?"]),
    ("figure", "jobs", "site", ["Which company's new site brings {d} jobs?",
                                "Who is creating {d} jobs with a new site?"]),
]


def reverse_questions(companies):
    """Forty questions that name a detail only one item holds and ask which company it is about."""
    rnd = random.Random(20261127)  # its own, so that the first sixty questions stay as they were
    out = []
    c = 0
    while len(out) < 40:
        company, items = companies[c % len(companies)]
        kind, detail, item_kind, phrasings = REVERSE[len(out) % len(REVERSE)]
        value = items["details"][detail]
        c += 1
        holders = [i for _, i in companies if i["details"][detail] == value]
        if len(holders) != 1:
            continue  # the detail is not one item's alone: not a fair question
        out.append({
            "id": f"q{61 + len(out)}",
            "kind": kind,
            "question": rnd.choice(phrasings).format(d=value),
            "sources": ["newsroom/" + items[item_kind]["path"]],
            "fact": company,
        })
    return out


def main():
    os.makedirs(os.path.join(OUT, "corpus"), exist_ok=True)
    used = set()
    kinds = ["leadership", "results", "product", "site", "recall"]
    questions = []
    docs = []
    companies = []
    for c in range(60):
        company = company_name(used)
        items = items_of(company)
        order = kinds[:]
        random.shuffle(order)
        for kind in order:
            n = len(docs)
            path = f"corpus/item-{n:03d}.txt"
            item = items[kind]
            docs.append((path, item["heading"] + "\n\n" + item["text"] + "\n"))
            item["path"] = path
        asked = items[kinds[c % 5]]
        questions.append({
            "id": f"q{c + 1:02d}",
            "kind": "paraphrase",
            "question": random.choice(asked["questions"]),
            "sources": ["newsroom/" + asked["path"]],
            "fact": asked["fact"],
        })
        companies.append((company, items))
    questions += reverse_questions(companies)
    for path, text in docs:
        with open(os.path.join(OUT, path), "w", encoding="utf-8") as f:
            f.write(text)
    golden = {
        "$schema": "../../src/main/resources/schemas/config/golden-set.schema.json",
        "name": "newsroom",
        "description": "100 questions over 300 invented news items (60 companies, 5 items each): 60 paraphrases "
                       "asking for a fact of a named company's item, 40 naming a detail one item holds (a person, a "
                       "product, a figure) and asking which company it is about; written by "
                       "eval/generate_newsroom.py. A question's sources are the ids the pipeline gives the items "
                       "(the file source's path under its root); its fact is what a right answer holds.",
        "topic": "evaluation",
        "segment": "newsroom",
        "questions": questions,
    }
    with open(os.path.join(OUT, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
