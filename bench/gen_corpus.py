"""Deterministic synthetic news corpus for benchmarks.

    python bench/gen_corpus.py N [--seed S] [--out FILE]

writes N articles as JSON lines with the fields url, title, text, published (YYYY-MM-DD),
source and authors (a list). ``generate(n, seed)`` yields the same articles as dicts.

Articles average 80 sentences (lognormal lengths, median ~70) of about 8-35 words in
paragraphs of 1-4 sentences. Words follow a Zipf-like distribution over a few thousand
English words plus generated names of people, places and organisations, numbers and dates;
some sentences are quotes or end in an attribution. Output depends only on (n, seed), and
the first k articles are the same for any n >= k. Articles are made 64 at a time, so memory
use stays constant (~70 MB) however many are written.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import random
import re
import sys
from collections.abc import Iterable, Iterator

import numpy as np
import orjson


def _w(text: str) -> list[str]:
    return text.split()


# Most frequent words first; content words are ranked after them in a seeded order.
FUNCTION = _w("""the of and to a in that for is on said was with he as it by at from his be have
has are an not were but they who will which its had been their this would after more also she
her about we or than one two new over last up out when there all first other into could can told
some three what years year people only most before while since against during under may just now
because between where those many these through both any each then our them if no so four five
such own another should did do does very how much less next several including without among
across until around""")

NOUNS = _w("""government minister official company country city state police court president
party election vote law bill plan report week month day time market price rate bank economy
business worker job family child school student teacher hospital doctor patient health service
water road bridge train flight airport border army soldier attack weapon missile leader group
member council committee agency department office program project budget tax cost fund
investment share investor profit loss sale customer product factory plant energy power oil gas
fuel climate storm flood fire heat village town region area district street home house building
park team player coach match game season title fan player club league record event festival film
artist music book writer museum scientist researcher study survey data result test trial drug
vaccine virus case death injury victim witness suspect prosecutor judge lawyer charge crime
investigation protest crowd demonstrator union strike talk deal agreement treaty partner ally
neighbor region island coast farmer crop harvest food store restaurant driver vehicle car truck
bus passenger ticket station port ship cargo trade export import tariff deficit debt loan
mortgage inflation growth wage pension benefit policy reform decision meeting summit visit
statement interview speech campaign candidate voter seat majority coalition opposition critic
supporter resident community neighborhood official spokesperson analyst expert engineer pilot
officer commander director manager founder owner employee staff network system platform app
device computer phone software chip satellite rocket mission launch station planet moon storm
warning alert shelter evacuation rescue volunteer aid donation charity church temple mosque
festival holiday tourist hotel beach mountain river lake forest field stadium arena court
ministry parliament congress senator governor mayor province capital border refugee migrant
permit license contract tender bid offer estimate forecast figure number level target goal limit
ban rule standard request demand response question answer concern risk threat challenge problem
issue crisis recovery damage repair upgrade accident account activist actor address adviser
airline ambassador amount anniversary apartment appeal application approach architect archive
argument arrest article assembly asset athlete attempt attorney audience audit author authority
award balance ballot barrier battle bishop blast board boat body bomb bond boss brand brother
buyer cabinet cable camera camp cancer capacity captain career category ceremony chairman
chamber champion channel chapter character chief citizen classroom client clinic coal code
colleague column commission commissioner component conference conflict consumer contest corridor
credit crew culture currency cycle dam danger daughter dealer debate decade defendant delegate
delegation democracy deputy desert detail developer diplomat disaster discount disease dispute
document dollar dozen draft dream drought economist editor effort embassy emission engine entry
episode error exam exhibition facility factor failure fare farm fee finding firm flag fleet
floor flower fortune foundation framework gallery gap garden gate generation giant grade grant
ground guard guest guide habit hall headline hearing highway hill household idea incident income
industry initiative inquiry inspector institution instrument insurer interest item journalist
journey jury kid kingdom label lab landscape lane layer lecture lender lesson letter library
link lobby location machine magazine manufacturer map margin mask mechanism medal memory
merchant message method metro milestone mine minority model moment monitor motion motor movement
nation negotiator newspaper nurse object obstacle occasion operator opinion option orchestra
organization outbreak output package page painting panel parent participant partnership passport
path patrol payment peak penalty percentage period pipeline pitch plot pocket poll position
poster practice premier prince princess priority prison prisoner prize procedure producer
professor profile property proposal protester provider publisher purchase quarter queen race
rally range ratio reaction reader reality regulator relative representative reporter republic
reserve resource restriction retailer revenue rival robot role room route salary sanction
scandal scheme scholar screen sector segment sensor session settlement shareholder shop shortage
signal site skill slope smartphone soil source speaker sponsor square stage stake statue step
stock strategy stream structure subsidy subway suburb supplier surface surgeon symbol tank task
technician technology telescope tenant term territory theater theme theory tool tower track
tractor trader tradition trail transaction trend tribunal trip troop tunnel university user
valley variant venue verdict version veteran victory viewer violation visitor volume wall war
warehouse wave website weekend winner winter workshop yard zone""")

IRREGULAR = {"child": "children", "crisis": "crises"}
# Nouns that take no plural.
MASS = set(
    _w("""police health water energy power oil gas fuel climate heat music data cargo trade
inflation growth aid food software staff damage recovery opposition""")
)

VERBS = _w("""announce report warn approve reject launch expect increase reduce confirm deny
claim accuse agree arrive ask attack believe call change close consider continue create decide
declare deliver demand describe destroy discover discuss end enter establish expand explain face
fail finish follow force gain help hope include invest join kill learn look manage mark move
need open order pass perform play point press prevent produce protect provide push raise reach
receive record release remain remove repair replace respond return reveal sign start suffer
support suggest test threaten train treat turn urge use visit vote wait walk want watch work
worry study carry apply try delay collect connect damage design earn estimate evacuate fire
handle improve injure limit list measure name note offer own plant post predict prepare promise
protest question rank recover reform rely remind resign restore review rule save schedule search
serve settle share shift sound stay stress target tour trade transform update value welcome
wonder achieve adopt advise affect aim allow appear appoint arrange assess assist assume attract
avoid back block boost borrow breach brief calculate celebrate challenge check cite clean clear
combine comment compare compete complain complete conclude condemn conduct contain contribute
convert convince cooperate correct count cover crash criticize cross debate decline defend
define demonstrate depend deploy deserve detain detect determine develop disappear dismiss
display dispute donate double doubt drain dump educate elect eliminate emerge employ enable
encourage endorse engage enjoy ensure examine exceed exist expire explore export express extend
fear feature file fill finance fix float flood focus fund gather generate grant guarantee halt
hand happen harm head hire host identify ignore imagine impose inform insist inspect install
intend interview introduce invite involve issue jump kick land lift link load locate lower
maintain mention merge miss monitor obtain occupy operate organize oppose outline overturn park
participate pause pick pledge possess praise present preserve pressure print proceed process
promote propose prove publish pull purchase pursue qualify rally react realize recall recognize
recommend recruit refuse register relate relax relieve remark rent repeat request require rescue
research resist resolve rest restrict retain retire risk roll sample satisfy score secure select
sentence shape shock shout solve specialize strengthen struggle succeed sue summon surge
surprise surround survive suspect suspend sustain switch tackle talk thank tighten touch track
trigger trust unveil upgrade vary view violate weaken wish witness yield""")

ADJECTIVES = _w("""national local former public political economic major military federal
international foreign financial early late high low large small strong weak recent final senior
key official regional annual global major new old young long short full free clear private
special human social environmental legal medical digital military nuclear rural urban coastal
northern southern eastern western central top main serious severe heavy significant critical
possible likely available current previous future total average daily weekly monthly independent
historic traditional modern popular powerful dangerous safe open closed temporary permanent
direct indirect emergency joint complete initial additional similar different difficult easy
important urgent widespread limited massive sharp steady stable rapid slow quiet busy crowded
empty wealthy poor cheap expensive academic active actual administrative affordable agricultural
alternative ancient armed artificial automatic basic biological broad capable careful certain
chemical chronic civil classic colonial commercial common comparable competitive concerned
confident conservative constant constitutional controversial corporate creative criminal crucial
cultural deep democratic dense diplomatic domestic dramatic dry educational effective efficient
elderly electric electronic entire equal essential ethnic exact excessive exclusive existing
extreme fair famous fierce fiscal flat flexible fragile fresh friendly generous genuine green
gradual grand guilty healthy helpful hidden hostile huge ideal illegal immediate industrial
informal innocent intense internal legislative liberal lucky mental mild minor mobile moderate
narrow natural negative neutral normal notable obvious ongoing operational optimistic ordinary
organic outdoor overall parliamentary partial peaceful personal physical plain pleased positive
practical premium presidential primary prime professional progressive prominent proper proud
psychological quick radical rare raw real reasonable regular relevant reliable religious remote
renewable residential responsible rich rough royal scientific secondary secret secure sensitive
separate silent simple sole solid spare specific strange strategic strict structural substantial
sudden sufficient suitable sustainable technical thick thin tight tiny tough toxic tropical
typical unable unclear unexpected unique unknown unusual upper useful vast violent visible vital
vulnerable warm wet wide wild willing worried""")

ADVERBS = _w("""also still already recently nearly later however again almost never often
currently finally quickly slowly sharply largely widely directly strongly fully partly mostly
usually early soon yet even instead together abroad overnight publicly privately officially
reportedly""")

FIRST = _w("""Anna Maria Elena Sofia Laura Sarah Emily Grace Amira Priya Mei Yuki Fatima Aisha
Ines Lucia Olga Nadia Hana Chloe Zoe Julia Clara Rosa Ana Teresa Karen Linda Helen Rachel Naomi
Leila Sana Marta Ingrid Astrid Noor Daniel David Michael James John Robert Thomas Samuel Omar
Ahmed Ali Kenji Hiroshi Wei Jun Raj Arjun Carlos Luis Jorge Pedro Mateo Lucas Noah Ethan Adam
Victor Ivan Nikolai Pavel Jonas Lars Erik Henrik Mark Paul Peter George Kevin Tom Chris Sam
Felix Hugo Tariq Kwame Kofi Musa Emeka Tunde Jamal Marcus Andre Rafael Diego Mateus Anders Karl""")

LAST = _w("""Smith Johnson Brown Garcia Martinez Lopez Gonzalez Rodriguez Wilson Anderson Taylor
Thomas Moore Martin Lee Walker Hall Young King Wright Scott Green Baker Adams Nelson Hill
Campbell Mitchell Roberts Carter Phillips Evans Turner Torres Parker Collins Edwards Stewart
Morris Murphy Cook Rogers Morgan Peterson Cooper Reed Bailey Bell Gomez Kelly Howard Ward Cox
Diaz Richardson Wood Watson Brooks Bennett Gray James Reyes Cruz Hughes Price Myers Long Foster
Sanders Ross Morales Powell Sullivan Russell Ortiz Jenkins Perry Butler Barnes Fisher Henderson
Coleman Patterson Jordan Graham Reynolds Hamilton Wallace Cole West Owens Kim Park Chen Wang Li
Zhang Liu Nguyen Tran Singh Patel Shah Khan Ahmed Hassan Ali Haddad Mansour Okafor Adeyemi
Mensah Osei Kamau Mwangi Tanaka Sato Suzuki Ito Yamamoto Kowalski Novak Horvat Petrov Ivanov
Berg Lind Holm Nystrom Larsen Jensen Hansen Schmidt Muller Weber Fischer Rossi Russo Ferrari
Costa Silva Santos Oliveira Pereira Dubois Laurent Moreau Fournier Varga Nagy Popescu Aalto
Virtanen Kapoor Nair Rao Iyer""")

TITLES = _w("Dr. Gov. Sen. Prof. Rep. Gen. Mayor President Minister Judge Col. Capt.")
ROLES = [
    "a spokesperson for",
    "a senior official at",
    "an analyst at",
    "the chief executive of",
    "a professor at",
    "the director of",
    "a researcher at",
    "a lawyer for",
    "a former adviser to",
    "the head of",
]
OUTLETS = _w("""Herald Times Post Tribune Gazette Chronicle Observer Courier Journal Daily Wire
News Ledger Star Sentinel Dispatch Record Mirror Express Bulletin""")
ORG_KINDS = _w("""Group Holdings Bank Energy Airlines Motors Telecom Insurance Foods Steel
Shipping Pharmaceuticals Capital Partners Systems""")
FIELDS = _w("""Finance Health Defense Education Transport Energy Justice Agriculture Labor Trade
Interior Culture Science Environment Housing""")
MONTHS = _w("""January February March April May June July August September October November
December""")
DAYS = _w("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
ONSETS = _w("b br c ch d f g gr h k kl l m n p pr r s st t tr v w z")
VOWELS = _w("a e i o u a e o ai ei")
CODAS = _w("n r l s m nd rt x k") + [""] * 4
PLACE_ENDS = _w("ton ville burg port field stad ia a mouth ford dale haven")

# Token variants: each base token has one table entry per variant; attributions follow them.
PLAIN, CAP, DOT, COMMA, OPENQ, CLOSEQ, QMARK, ATTR = range(8)
START, END = dt.date(2019, 1, 1), dt.date(2026, 12, 31)
MEAN_SENTENCES, SIGMA = 80.0, 0.55
MU = math.log(MEAN_SENTENCES + 0.5) - SIGMA**2 / 2  # +0.5 offsets int() truncation
# Tokens per sentence: 8 + Binomial(18, 0.45); names and numbers make that ~20 words on average.
SENT_P = [0.0] * 8 + [math.comb(18, k) * 0.45**k * 0.55 ** (18 - k) for k in range(19)]
PARA_P = [0.0, 0.3, 0.35, 0.25, 0.1]  # P(paragraph has k sentences)
AUTHORS_P = [0.2, 0.5, 0.2, 0.1]  # P(article has k authors)
# Per-sentence and per-token probabilities, out of 2**16.
QUOTE, TOLD, QUESTION, COMMA_RATE = 6554, 11469, 12124, 3277  # 10%, +7%, +1%; 5%
TOKEN_BITS = 21
BATCH = 64  # articles drawn together


def _plural(w: str) -> str:
    if w in IRREGULAR:
        return IRREGULAR[w]
    if w.endswith("y") and w[-2] not in "aeiou":
        return w[:-1] + "ies"
    return w + ("es" if w.endswith(("s", "x", "ch", "sh")) else "s")


def _verb_forms(w: str) -> list[str]:
    if w.endswith("y") and w[-2] not in "aeiou":
        return [w, w[:-1] + "ies", w[:-1] + "ied", w + "ing"]
    if w.endswith("e"):
        return [w, w + "s", w + "d", w + "ing" if w.endswith("ee") else w[:-1] + "ing"]
    return [w, _plural(w), w + "ed", w + "ing"]


def _cap(w: str) -> str:
    return w[:1].upper() + w[1:]


def _opening(t: str) -> str:
    """``t`` as the first word of a sentence."""
    return f"About {t}" if t[0].isdigit() or t[0] == "$" else _cap(t)


def _sampler(p: np.ndarray | list[float], bits: int) -> np.ndarray:
    """A table that turns uniform ints below 2**bits into indices drawn with weights ``p``."""
    edges = np.rint(np.cumsum(p) / np.sum(p) * 2**bits).astype(np.int64)
    return np.repeat(np.arange(len(edges), dtype=np.int32), np.diff(edges, prepend=0))


def _zipf(n: int, s: float = 1.05, q: float = 2.7) -> np.ndarray:
    p = 1.0 / (np.arange(n) + q) ** s
    return p / p.sum()


def _dedupe(words: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(words))


class _World:
    """The vocabulary, names and sources that articles for one seed are made of."""

    def __init__(self, rng: random.Random) -> None:
        pick = rng.choice

        def place() -> str:
            n = rng.randint(1, 2)
            stem = "".join(pick(ONSETS) + pick(VOWELS) + pick(CODAS) for _ in range(n))
            return _cap(stem + pick(PLACE_ENDS))

        places = _dedupe([place() for _ in range(1500)])
        people = _dedupe(f"{pick(FIRST)} {pick(LAST)}" for _ in range(5000))
        mentions = [f"{pick(TITLES)} {p}" if rng.random() < 0.3 else p for p in people]
        orgs = _dedupe(
            pick(
                [
                    f"{pick(places)} {pick(ORG_KINDS)}",
                    f"the Ministry of {pick(FIELDS)}",
                    f"the {pick(places)} Institute of {pick(FIELDS)}",
                    f"the National {pick(FIELDS)} Council",
                    f"{pick(places)} University",
                    f"the {pick(places)} City Council",
                    f"the {pick(places)} Port Authority",
                    f"the {pick(places)} Chamber of Commerce",
                    f"{pick(places)} {pick(FIELDS)} Workers Union",
                ]
            )
            for _ in range(1200)
        )
        numbers = [
            pick(
                [
                    f"{rng.randint(2, 98)} percent",
                    f"{rng.uniform(0.1, 9.9):.1f} percent",
                    f"${rng.uniform(1, 99):.1f} {pick(['million', 'billion'])}",
                    f"{rng.randint(1000, 99999):,} people",
                    f"{rng.randint(2, 59)} years",
                    f"in {rng.randint(1990, 2026)}",
                    f"{rng.randint(3, 899)} kilometers",
                ]
            )
            for _ in range(2500)
        ]
        dates = [f"on {d}" for d in DAYS] + ["last week", "this year", "last month"]
        dates += [f"on {m} {d}" for m in MONTHS for d in range(1, 29)] + [f"in {m}" for m in MONTHS]

        plurals = [_plural(w) for w in NOUNS if w not in MASS]
        verbs = [f for v in VERBS for f in _verb_forms(v)]
        content = _dedupe(NOUNS + plurals + verbs + ADJECTIVES + ADVERBS)
        content = [w for w in content if w not in FUNCTION]
        rng.shuffle(content)
        function_words = _dedupe(FUNCTION)
        words = function_words + content
        self.n_function = len(function_words)
        classes = [
            (words, 0.88),
            (mentions + [p.split()[-1] for p in people[:800]], 0.04),
            (places, 0.03),
            (orgs, 0.02),
            (numbers, 0.02),
            (dates, 0.01),
        ]
        base = [t for toks, _ in classes for t in toks]
        # 2**21 slots: even the rarest tokens (p ~ 1e-6) keep roughly their weight.
        self.token_lut = _sampler(
            np.concatenate([w * _zipf(len(t)) for t, w in classes]), TOKEN_BITS
        )

        def dot(t: str) -> str:
            return t if t.endswith(".") else t + "."

        variants = [
            base,
            [_opening(t) for t in base],
            [dot(t) for t in base],
            [t + "," for t in base],
            ["“" + _opening(t) for t in base],
            [t + ",”" for t in base],
            [t + "?" for t in base],
        ]
        small = set(FUNCTION)
        self.title_words = [t if t in small else _cap(t) for t in base]
        attributions = [
            pick(
                [
                    f"said {pick(mentions)}.",
                    f"{pick(mentions)} said.",
                    f"said {pick(people)}, {pick(ROLES)} {pick(orgs)}.",
                    f"{pick(orgs)} said in a statement.",
                    f"{pick(people).split()[-1]} told reporters.",
                    f"according to {pick(orgs)}.",
                    f"{pick(['he', 'she', 'officials'])} said.",
                ]
            )
            for _ in range(3000)
        ]
        entries = [t for v in variants for t in v] + attributions
        # The second half ends paragraphs; generate() removes the space after "\n\n".
        self.table = np.array(entries + [t + "\n\n" for t in entries], dtype=object)
        self.para_end = len(entries)
        self.n_base, self.n_attr = len(base), len(attributions)
        self.people, self.places = people, places
        self.sources = _dedupe(f"The {pick(places)} {pick(OUTLETS)}" for _ in range(50))
        self.source_cum = np.cumsum(_zipf(len(self.sources), s=0.8, q=3)).tolist()


def _slug(text: str, words: int = 8) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:words])


def generate(n: int, seed: int = 0) -> Iterator[dict]:
    """Yield n synthetic news articles, the same ones for the same (n, seed)."""
    rng, py = np.random.default_rng(seed), random.Random(seed)
    w = _World(py)
    raw = rng.bit_generator.random_raw  # uint64s; their bit fields serve as independent draws
    V, days = w.n_base, (END - START).days + 1
    len_lut, para_lut = _sampler(SENT_P, 16), _sampler(PARA_P, 16)
    # Articles are made BATCH at a time (always whole batches, so article i never depends on n).
    for first in range(0, n, BATCH):
        n_sents = np.cumsum([max(3, int(py.lognormvariate(MU, SIGMA))) for _ in range(BATCH)])
        r = raw(int(n_sents[-1]))  # one per sentence
        lens = len_lut[r >> 48]
        ends = np.cumsum(lens)
        starts = ends - lens
        t = raw(int(ends[-1]))  # one per token
        var = np.where((t & 0xFFFF) < COMMA_RATE, COMMA, PLAIN)
        var[starts] = CAP
        var[ends - 1] = DOT
        kind = (r >> 32) & 0xFFFF
        quote, told = kind < QUOTE, (kind >= QUOTE) & (kind < TOLD)
        var[ends[(kind >= TOLD) & (kind < QUESTION)] - 1] = QMARK
        var[starts[quote]] = OPENQ
        var[ends[told] - 2] = COMMA
        var[ends[quote] - 2] = CLOSEQ
        tok = w.token_lut[t >> (64 - TOKEN_BITS)]
        last = tok[ends - 1]  # a sentence ends in a content word, not "the." or "of."
        tok[ends - 1] = np.where(last < w.n_function, last + w.n_function, last)
        ids = var * V + tok
        said = quote | told
        ids[ends[said] - 1] = ATTR * V + (((r[said] >> 16) & 0xFFFF) % w.n_attr).astype(np.int64)
        para = np.cumsum(para_lut[r & 0xFFFF])  # sentence counts after which a paragraph ends
        breaks = np.setdiff1d(para[para < n_sents[-1]], n_sents)  # not at the end of an article
        ids[ends[breaks - 1] - 1] += w.para_end
        words = w.table[ids].tolist()
        bounds = [0, *ends[n_sents - 1].tolist()]
        titles = w.token_lut[raw(BATCH * 14) >> (64 - TOKEN_BITS)].reshape(BATCH, 14).tolist()

        for k in range(min(BATCH, n - first)):
            text = " ".join(words[bounds[k] : bounds[k + 1]]).replace("\n\n ", "\n\n")
            if py.random() < 0.5:
                text = f"{py.choice(w.places).upper()} — {text}"
            title_words = " ".join(w.title_words[j] for j in titles[k]).split()
            title = _cap(" ".join(title_words[: py.randint(6, 14)]))
            source = py.choices(w.sources, cum_weights=w.source_cum)[0]
            date = START + dt.timedelta(days=py.randrange(days))
            authors = py.sample(w.people, py.choices(range(4), AUTHORS_P)[0])
            url = f"https://example.com/gen/{_slug(source)}/{date:%Y/%m/%d}/{_slug(title)}"
            yield {
                "url": f"{url}-{first + k}",
                "title": title,
                "text": text,
                "published": date.isoformat(),
                "source": source,
                "authors": authors,
            }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of articles")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="output JSONL file (default: stdout)")
    args = ap.parse_args(argv)
    stdout = contextlib.nullcontext(sys.stdout.buffer)
    with open(args.out, "wb") if args.out else stdout as out:
        try:
            for doc in generate(args.n, args.seed):
                out.write(orjson.dumps(doc) + b"\n")
            out.flush()
        except BrokenPipeError:  # the reader went away, e.g. `| head`
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)


if __name__ == "__main__":
    main()
