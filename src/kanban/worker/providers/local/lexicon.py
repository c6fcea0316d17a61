"""What words mean to the local rules: kinds of action, synonyms, topics, and words that say nothing.

The rules reason about meaning (what the action is, what it acts on, who and where), so this
module groups words by what they do rather than listing phrasings. Every entry is a lemma:
`features.py` lemmatises a task's words (simplemma) before looking them up here.
"""

from __future__ import annotations

from typing import Final

# --- kinds of action -------------------------------------------------------------------------
# A task's lead verb (or a phrasal verb) names what a person will be doing. The kind decides the
# GTD context, how long it usually takes, and which verbs count as the same intent for duplicates.


def _words(text: str) -> list[str]:
    return text.split()


ACTION_KINDS: Final[dict[str, str]] = {}


def _kind(kind: str, verbs: str) -> None:
    for verb in verbs.split():
        ACTION_KINDS.setdefault(verb.replace("_", " "), kind)


_kind("phone", "call phone ring dial telephone text sms whatsapp callback")
_kind("email", "email e-mail reply respond answer forward message cc")
_kind("send", "send mail share")
_kind("ask", "ask request chase remind invite thank")
_kind("read", "read reread skim study peruse go_through look_through read_up finish_reading")
_kind("watch", "watch rewatch view stream catch_up_on")
_kind("listen", "listen listen_to listen_back")
_kind("meet", "meet sync discuss interview catch_up_with facilitate")
_kind("arrange", "book schedule reschedule arrange organise organize plan set_up reserve make_an")
_kind("write", "write draft prepare prep compose update refresh edit revise proofread outline rewrite finish")
_kind("desk", "file submit fill complete apply register enrol enroll sign_up print scan sign upload download")
_kind("desk", "install configure code debug deploy investigate research compare review check_in backup back_up")
_kind("pay", "pay transfer budget invoice claim refund top_up pay_back")
_kind("cancel", "cancel unsubscribe terminate end")
_kind("renew", "renew extend")
_kind("acquire", "buy purchase order get pick_up collect fetch grab shop get_in hire")
_kind("return", "return take_back give_back bring_back drop_off drop deliver post")
_kind("fix", "fix repair mend service replace change patch unblock")
_kind("clean", "clean clear tidy wash hoover vacuum declutter sweep dust wipe empty sort_out sort defrost polish")
_kind("garden", "mow plant prune water weed trim rake dig harvest")
_kind("make", "cook bake make build assemble paint hang install_the pack unpack move wrap")
_kind("think", "think decide consider reflect brainstorm figure_out learn practise practice try")
_kind("check", "check test measure inspect")
_kind("visit", "visit go see attend")
_kind("choose", "pick choose select")

# Verbs a written-out step may start with, beyond the kinds above ("look at the logs", "tell the bank").
STEP_VERBS: Final = frozenset(
    {v.split()[0] for v in ACTION_KINDS}
    | set(
        _words(
            "look tell add remove redirect borrow bring gather restore enable disable set put move confirm "
            "ask find list note take leave lock unlock label charge open close load unload split split write "
            "sort donate recycle throw bin rinse soak dry iron fold tidy measure weigh count cut wrap bag "
            "mark initial"
        )
    )
) - {"go", "end", "try", "keep", "turn", "have", "present", "see"}

# Words after which a title's first word is a noun, not a verb: "water bill", "book club", "phone contract".
COMPOUND_HEADS: Final = frozenset(
    _words("bill bills club contract meter payment case number charger company plan provider tank filter")
)
# "give Grandpa a ring", "give the plumber a call": a phone call said with a noun.
CALL_NOUNS: Final = frozenset(["ring", "call", "bell", "buzz", "shout"])

# Verbs that say little about intent: "get the car serviced", "do my taxes", "sort the loft".
GENERIC_VERBS: Final = frozenset(_words("get do make go have take give keep turn find handle sort finish start try"))

# Phrasal verbs, longest first, recognised before single words ("pick up" is not "pick").
PHRASAL: Final = tuple(
    sorted(
        (v for v in ACTION_KINDS if " " in v),
        key=lambda v: -len(v.split()),
    )
)

# --- things and their kinds ------------------------------------------------------------------
# The object decides the context when the verb alone does not ("book" a dentist is a phone call,
# "book" flights is desk work) and whether a "send" is an email or a trip to the post office.

OBJECT_KINDS: Final[dict[str, str]] = {}


def _things(kind: str, nouns: str) -> None:
    for noun in nouns.split():
        OBJECT_KINDS.setdefault(noun.replace("_", " "), kind)


# Services booked by talking to someone: the appointment kind.
_things(
    "appointment",
    "appointment dentist doctor gp physio physiotherapist optician vet surgery clinic hairdresser barber "
    "haircut checkup check-up jab vaccination vaccine booster massage therapist mot service table slot "
    "plumber electrician roofer garage mechanic consultation repair viewing",
)
# Things read.
_things(
    "document",
    "article book chapter paper essay blog post doc documentation manual handbook guide policy contract lease "
    "agreement terms report whitepaper novel newsletter magazine email letter pdf notes minutes spec proposal",
)
# Things watched.
_things(
    "video",
    "video recording documentary film movie lecture talk webinar tutorial episode series show trailer "
    "keynote livestream stream all-hands allhands nativity",
)
# Things made at a desk.
_things(
    "deskwork",
    "slide slides deck presentation spreadsheet sheet cv resume tax taxes return form application invoice bill "
    "budget code pull_request pr website postmortem expense receipt subscription flight flights ticket tickets "
    "train hotel visa permit licence license portfolio photo account password laptop computer printer backup "
    "isa savings pension mortgage transfer",
)
# Gatherings.
_things(
    "meeting",
    "meeting meetup sync standup stand-up retro retrospective 1:1 one-on-one kickoff kick-off workshop "
    "interview call session review huddle catch-up catchup offsite planning agenda",
)
# Instruments read off by eye: "read the meter" is a job with the hands, not reading.
_things("instrument", "meter gauge dial thermometer barometer odometer")
# Things bought, fetched or returned in person.
_things(
    "goods",
    "prescription medicine food groceries grocery milk eggs bread coffee card present gift suit jacket shoes "
    "parcel package book books dry_cleaning cleaning key keys watch",
)

# Where an errand happens.
SHOPS: Final = frozenset(
    _words(
        "shop store supermarket pharmacy chemist tailor library post_office market bakery butcher tip "
        "charity_shop garden_centre hardware_store"
    )
)

# Words that say the task happens on a screen.
ONLINE: Final = frozenset(["online", "website", "web", "app", "portal", "internet", "login"])

# --- synonyms --------------------------------------------------------------------------------
# Words that mean the same thing to a person (mum and mom, tap and faucet). Each maps to one
# canonical form, used for duplicates and topics.

_SYNONYM_GROUPS = (
    "mother mum mom mummy mommy ma",
    "father dad daddy pa",
    "grandmother grandma gran granny nan nana",
    "grandfather grandpa granddad grandad",
    "child kid kids children",
    "tap faucet",
    "cv resume",
    "birthday bday b-day",
    "gift present",
    "slides deck presentation",
    "jab vaccination vaccine shot",
    "doc documentation document docs",
    "lesson class",
    "spreadsheet sheet",
    "tax taxes",
    "kickoff kick-off",
    "allhands all-hands",
    "film movie",
    "insurance insurer",
    "car vehicle",
    "flat apartment",
    "swim swimming",
    "recording record recorded",
    "photo photograph picture",
    "flight flights plane",
    "dog puppy",
    "cat kitten",
    "1:1 one-on-one",
    "renew renewal",
    "pay payment",
    "email e-mail",
    "tv television",
    "physio physiotherapy physiotherapist",
    "doctor gp",
)
SYNONYMS: Final[dict[str, str]] = {word: group.split()[0] for group in _SYNONYM_GROUPS for word in group.split()}

# Verb intents that count as the same for duplicates ("call" mum and "ring" mom).
SAME_INTENT: Final = (
    frozenset({"phone", "email", "send", "ask"}),
    frozenset({"arrange", "renew"}),
    frozenset({"fix", "clean"}),
    frozenset({"write", "desk"}),
    frozenset({"read", "write"}),
    frozenset({"acquire", "arrange"}),
    frozenset({"meet", "arrange"}),
    frozenset({"garden", "make"}),
)
# Intents that undo each other: never the same task.
OPPOSED_INTENTS: Final = (
    frozenset({"acquire", "return"}),
    frozenset({"cancel", "renew"}),
    frozenset({"cancel", "arrange"}),
    frozenset({"cancel", "acquire"}),
)

# --- people, relations and words that say nothing ---------------------------------------------

RELATIONS: Final = frozenset(
    _words(
        "mother father grandmother grandfather child son daughter sister brother aunt uncle cousin niece "
        "nephew wife husband partner boyfriend girlfriend family parent parents baby twins in-laws"
    )
)
PEOPLE_ROLES: Final = frozenset(
    _words(
        "boss manager colleague team client landlord nanny teacher accountant broker agent hr neighbour "
        "friend coach tutor organiser organisers insurer bank council school office"
    )
)
# Content words too general to tell two tasks apart.
VAGUE: Final = frozenset(
    _words(
        "thing stuff new old next last this that one some time week month year day today tomorrow tonight "
        "about re w/ via due full keep keeps it them all each every other own back up out in on off first "
        "again quick little big small few lot lots soon later asap urgent please maybe still"
    )
)

# --- topics, for tags ---------------------------------------------------------------------------
# A topic is named by its aliases (how boards spell the tag) and recognised by its member words.
# A board tag is matched to a topic by name, so "money" and "finance" tags both mean the money topic.
# A member is weak when everyday tasks often use it in another sense ("trip" over a kerb, a
# "present" to wrap, a "talk" with a child): a weak word counts half, so it never makes a tag alone.

TOPICS: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {}
WEAK: Final[dict[str, frozenset[str]]] = {}


def _topic(name: str, aliases: str, members: str, weak: str = "") -> None:
    strong = {m.replace("_", " ") for m in members.split()}
    soft = frozenset(m.replace("_", " ") for m in weak.split())
    TOPICS[name] = (frozenset(aliases.split()), frozenset(strong | soft))
    WEAK[name] = soft - strong


_topic(
    "finance",
    "finance finances money financial bills banking budget cash",
    "pay bill bank tax invoice financial finances budget money insurance insurer savings saving isa pension mortgage expense refund "
    " fraud loan salary fee accountant instalment payment debt debit subscription membership netflix "
    "broker invest investment fund funds index_fund paid cheque invoice_number council_tax bill_payment "
    "cash atm rent standing_order direct_debit tariff overdraft interest compound_interest bank_account "
    "savings_account current_account credit_card debit_card payslip wage wages tax_return receipt receipts "
    "euros euro dollars pounds currency exchange_rate premium_bonds allowance pocket_money "
    "excess claim credit transfer premium £ $ € spend spending",
    weak="share shares stock stocks price quote quotes cost costs account",
)
_topic(
    "health",
    "health healthcare medical wellbeing fitness",
    "doctor dentist gp physio optician pharmacy prescription jab flu hospital blood test knee meds "
    "medicine therapy therapist gym workout fitness health surgery clinic nurse vaccination vitamin vitamins "
    "injury back_pain teeth tooth checkup check-up wellbeing yoga blood_test blood_pressure allergy allergies "
    "asthma inhaler contact_lenses lenses glasses eye_test hearing_test physiotherapy rash fever migraine "
    "jog jogging pilates stretch stretching 5k 10k marathon running swim_session mental_health counsellor "
    "counselling diabetes cholesterol smear mammogram scan x-ray antibiotics plaster booster "
    "sore sleep eye eyes diet mental hearing",
    weak="run weight walk steps",
)
_topic(
    "work",
    "work job office career professional business",
    "client boss manager colleague project roadmap hiring "
    "promotion recruiter linkedin quarterly allhands pull_request postmortem incident staging deploy ci cv job conference onboarding "
    "leadership okr okrs offsite 1:1 payroll quarter "
    "q1 q2 q3 q4 stakeholder sprint colleagues department design_team "
    "parental_leave annual_review performance_review appraisal away_day team_meeting standup retro kickoff slides "
    "keynote all_hands leaving_do work_laptop timesheet employee employer contract_renewal churn kpi kpis board_pack "
    "manager's coworker co-worker intern interns headcount expense hr team report talk slot feedback "
    "performance release deadline proposal interview agenda customer presentation deck",
    weak="office spreadsheet review meeting",
)
_topic(
    "home",
    "home house household chores housework flat",
    "house flat kitchen hallway stairs landing skirting water_bill boiler landlord lease tap plumber sink gutter roof loft freezer fridge "
    "wardrobe smoke_alarm alarm electricity gas heating meter removal bin bins recycling letting "
    "council_tax home bathroom bedroom carpet furniture sofa laundry declutter "
    "dishwasher washing_machine wash_machine oven shelf shelves decorate broadband wifi flatmate "
    "radiator radiators curtain curtains blind blinds shower bath toilet kettle toaster microwave hoover "
    "bottle_bank recycling_bank vacuum mattress duvet cupboard cupboards drawer drawers lamp lightbulb light_bulb fuse socket "
    "electrician damp mould mold leak insulation tenancy rent energy_bill gas_meter utilities lounge "
    "living_room spare_room ceiling wallpaper grout tiles landlady housemate mortgage chimney doorbell "
    "extractor thermostat "
    "keys door drill garage",
    weak="move window paint tidy room wall floor light lights table chair chairs bed",
)
_topic(
    "family",
    "family relatives",
    "mother father grandmother grandfather aunt uncle cousin cousins sister brother wife husband "
    "niece nephew parent parents in-laws family anniversary grandpa grandma relatives stepmum stepdad "
    "godson goddaughter godmother godfather sister-in-law brother-in-law mother-in-law father-in-law",
    weak="partner",
)
_topic(
    "kids",
    "kids children child school parenting",
    "child son daughter school nursery pta nativity homework teacher carpool nanny baby "
    "playdate childcare babysitter pupil uniform packed_lunch lego toy toys daycare "
    "consent_form parents_evening childminder nappies nappy diapers wipes pram buggy twins toddler "
    "permission_slip school_trip field_trip class_trip museum_trip year_4 playground crèche creche tooth_fairy kid's school_run football_club "
    "screen_time bedtime potty",
    weak="term class classes lesson lessons swim swimming football",
)
_topic(
    "errands",
    "errands errand shopping shop chores",
    "buy pick_up collect groceries grocery shop shopping store supermarket milk eggs bread "
    "dry_cleaning tailor post_office parcel drop_off dog_food jeweller chemist pharmacy_pickup "
    "stock_up charity_shop hardware_store garden_centre butcher bakery market cash_machine",
    weak="return present gift coffee library tip",
)
_topic(
    "car",
    "car cars vehicle driving auto motoring",
    "car vehicle tyre tyres tire tires mot windscreen windshield parking driving driving_licence v5c "
    "mechanic fuel petrol diesel dashcam brake brakes clutch insurance_car screenwash wiper wipers "
    "breakdown_cover dvla car_park car_wash car_seat car_seats number_plate road_tax sat_nav hubcap "
    "driving_lesson driving_test "
    "licence license oil engine",
    weak="permit charging ev drive",
)
_topic(
    "reading",
    "reading books read literature",
    "book article chapter novel book_club book_group essay blog author kindle audiobook "
    "textbook poem poetry memoir biography magazine",
    weak="read paper lecture course study library statistics",
)
_topic(
    "admin",
    "admin paperwork administration bureaucracy documents",
    "passport paperwork application registration "
    "consent v5c ownership paperwork tax_return self_assessment redirect certificate "
    "visa identity dvla register_to_vote electoral_roll birth_certificate marriage_certificate "
    "permission_slip consent_form tv_licence driving_licence taxes national_insurance census power_of_attorney "
    "licence license lease document documents mortgage permit",
    weak="form register hr id sign signed",
)
_topic(
    "travel",
    "travel trips trip holidays vacation",
    "flight flights passport hotel airport visa luggage suitcase abroad "
    "itinerary booking_reference boarding boarding_pass boarding_passes airbnb hostel ferry "
    "camping campsite cottage check_in train_ticket train_tickets train_times travel_insurance interrail jet_lag trip",
    weak="holiday holidays pack packing train euro euros fly",
)
_topic(
    "garden",
    "garden gardening yard outdoors plants",
    "garden lawn mow mower lawnmower plant plants tulip prune pruning apple_tree hedge weed weeds "
    "raised_bed pond compost seed seeds greenhouse flower flowers rake patio hanging_baskets "
    "hanging_basket basket_plants repot pot_plants shrub shrubs veg_patch allotment bird_feeder "
    "tree trees shed",
    weak="bulb bulbs leaves fence",
)
_topic("pets", "pets pet animals", "dog cat vet puppy kitten pet walk_the_dog litter flea fish hamster rabbit")
_topic("tech", "tech technology computer it", "laptop computer software password backup install printer router wifi")
_topic("social", "social friends", "friend friends party dinner drinks wedding invite invitation")

# Two words that name one thing whose topic is not their parts': a "post office" is no office, a
# "light bulb" is no garden bulb. A compound with no topic only stops its words being read alone.
NEUTRAL_COMPOUNDS: Final = frozenset(
    m.replace("_", " ")
    for m in _words(
        "screen_time post_office home_office tax_return board_pack gas_meter tv_licence food_bank bottle_bank"
    )
) - frozenset(m for _, members in TOPICS.values() for m in members)
# Topic words that also lead a title as verbs: "Talk to Jonah", "Work through the list", "Shop around".
NOUN_VERBS: Final = frozenset(_words("talk work study shop run walk pack fly garden plant book bank"))
# "on the way home": after these words "home" is where someone goes, not what the task is about.
HOMEWARD: Final = frozenset(_words("way get go come head drive walk cycle back"))
