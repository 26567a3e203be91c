"""The word tables of the story families (:mod:`.families`), apart from the code that tells the stories.

One table per family maps each of its templates (a setting) to that setting's words: intros, the things, places,
people's tasks or teams a story draws from, filler sentences that change nothing a question asks about, and
closings. ``{A}``, ``{B}``, ``{P}`` ... in a sentence are filled by the family function (its docstring names them).
A comment above a table says what its tuples hold and which of their words is a question's answer key. No name
here (:data:`PEOPLE`, :data:`PROPER_NAMES`) occurs in the test scenarios or the chain-of-thought examples:
:mod:`tomlab.data.generator` checks it before it writes a row.
"""

from __future__ import annotations

#: Names and pronouns; none occurs in the test scenarios or the chain-of-thought examples (checked by the generator).
PEOPLE = [
    ("Maya", "she"), ("Omar", "he"), ("Priya", "she"), ("Diego", "he"), ("Hana", "she"), ("Kofi", "he"),
    ("Elena", "she"), ("Marcus", "he"), ("Nina", "she"), ("Ravi", "he"), ("Sofia", "she"), ("Theo", "he"),
    ("Yuki", "she"), ("Bruno", "he"), ("Clara", "she"), ("Felix", "he"), ("Grace", "she"), ("Hugo", "he"),
    ("Iris", "she"), ("Jonas", "he"), ("Kira", "she"), ("Leo", "he"), ("Mila", "she"), ("Noah", "he"),
    ("Olga", "she"), ("Pedro", "he"), ("Rosa", "she"), ("Samir", "he"), ("Tara", "she"), ("Victor", "he"),
    ("Wendy", "she"), ("Yusuf", "he"), ("Zoe", "she"), ("Aiko", "she"), ("Dev", "he"), ("Farah", "she"),
    ("Hector", "he"), ("Ines", "she"), ("Jamal", "he"), ("Keiko", "she"), ("Luis", "he"), ("Marta", "she"),
    ("Nadia", "she"), ("Oscar", "he"), ("Paula", "she"), ("Rhea", "she"), ("Stefan", "he"), ("Tess", "she"),
    ("Vera", "she"), ("Wes", "he"), ("Zara", "she"), ("Emil", "he"),
]


# ------------------------------------------------------------------------------ family: moved objects
# (preposition, place); the place name is the answer key, so no name may contain another.
MOVED_OBJECTS = {
    "kitchen": dict(
        intro=["{A} and {B} were cooking lunch together in a small kitchen.",
               "It was a busy Sunday morning in the kitchen of the flat that {A} shared with {B}.",
               "{A} and {B} spent the afternoon cleaning the kitchen before the guests came."],
        objects=["butter dish", "bread knife", "salad bowl", "jar of honey", "measuring cup", "teapot",
                 "cutting board", "pepper mill", "egg timer", "ladle", "colander", "rolling pin"],
        places=[("in", "fridge"), ("in", "cupboard"), ("on", "counter"), ("on", "windowsill"), ("in", "sink"),
                ("in", "pantry"), ("on", "table"), ("in", "dish rack"), ("on", "stove"), ("in", "oven")],
        put=["{P} put the {o} {loc}.", "{P} set the {o} down {loc}.", "First, {P} left the {o} {loc}."],
        move=["Later, {P} took the {o} out of the {src} and put it {loc}.",
              "A few minutes later, {P} moved the {o} from the {src} {to}.",
              "While stirring the soup, {P} carried the {o} {to}."],
        filler=["The kettle began to whistle.", "Soup was bubbling on the back burner.",
                "{P} chopped two onions for the soup.", "Rain tapped against the window the whole time.",
                "The radio was playing old jazz songs.", "{P} wiped the {place} with a damp cloth."],
        closing=["Then they sat down to eat.", "The guests rang the bell at one o'clock.",
                 "After lunch, {P} washed the plates."]),
    "office": dict(
        intro=["{A} and {B} were the first to arrive at the office on Monday.",
               "The office was quiet on Friday morning, and only {A} and {B} were at work.",
               "{A} and {B} stayed late at the office to finish a report."],
        objects=["stapler", "tape dispenser", "laptop charger", "folder of receipts", "reading lamp", "box of pens",
                 "hole punch", "wall calendar", "coffee mug", "spare keyboard"],
        places=[("in", "filing cabinet"), ("on", "desk"), ("on", "bookcase"), ("in", "supply closet"),
                ("on", "printer table"), ("in", "mail tray"), ("on", "window ledge"), ("in", "locker"),
                ("on", "meeting table"), ("in", "bottom drawer")],
        put=["{P} put the {o} {loc}.", "{P} placed the {o} {loc}.", "Early on, {P} left the {o} {loc}."],
        move=["Around ten, {P} took the {o} from the {src} and put it {loc}.",
              "Before the meeting, {P} moved the {o} from the {src} {to}.",
              "Later, {P} carried the {o} {to}."],
        filler=["The printer jammed twice that morning.", "{P} answered a long phone call from a client.",
                "Someone had left the blinds half open.", "The coffee machine in the corridor was broken again.",
                "{P} dusted the {place}.", "A courier dropped off a parcel at reception."],
        closing=["At noon, they went out for sandwiches.", "The rest of the team arrived after lunch.",
                 "By six o'clock the report was finished."]),
    "garage": dict(
        intro=["{A} and {B} spent Saturday tidying the garage.",
               "{A} was fixing a bicycle in the garage while {B} sorted old boxes.",
               "On a cold morning, {A} and {B} cleared out the garage to make room for the car."],
        objects=["hammer", "tape measure", "paint brush", "box of screws", "flashlight", "bicycle pump",
                 "oil can", "pair of pliers", "spirit level", "roll of wire"],
        places=[("on", "workbench"), ("in", "tool chest"), ("on", "high shelf"), ("in", "car trunk"),
                ("in", "wheelbarrow"), ("on", "pegboard"), ("in", "paint bucket"), ("on", "freezer"),
                ("in", "crate by the door"), ("on", "windowsill")],
        put=["{P} put the {o} {loc}.", "{P} dropped the {o} {loc}.", "To begin with, {P} laid the {o} {loc}."],
        move=["After a while, {P} took the {o} from the {src} and put it {loc}.",
              "Then {P} moved the {o} from the {src} {to}.",
              "Around noon, {P} carried the {o} {to}."],
        filler=["A radio crackled in the corner.", "{P} swept sawdust off the floor.",
                "The garage door was stuck halfway open.", "Old paint tins were stacked along the wall.",
                "{P} cleaned the {place} with a rag.", "A neighbour waved from across the street."],
        closing=["By evening the garage was much tidier.", "Then they went inside for hot soup.",
                 "The car fit inside at last."]),
    "campsite": dict(
        intro=["{A} and {B} set up camp by the lake on Friday evening.",
               "{A} and {B} were packing up their campsite in the forest.",
               "On the second day of the camping trip, {A} and {B} stayed near the tents."],
        objects=["lantern", "water jug", "bag of marshmallows", "compass", "first aid kit", "rain poncho",
                 "fishing net", "bug spray", "trail map", "camp stove"],
        places=[("in", "tent"), ("in", "cooler"), ("on", "picnic table"), ("in", "canoe"), ("in", "backpack"),
                ("on", "tree stump"), ("in", "van"), ("on", "log bench"), ("in", "hammock"), ("on", "rock")],
        put=["{P} put the {o} {loc}.", "{P} stowed the {o} {loc}.", "At first, {P} left the {o} {loc}."],
        move=["Later, {P} took the {o} from the {src} and put it {loc}.",
              "Before dinner, {P} moved the {o} from the {src} {to}.",
              "When the wind picked up, {P} carried the {o} {to}."],
        filler=["A woodpecker drummed somewhere above them.", "{P} collected dry sticks for the fire.",
                "The lake was calm and grey.", "Clouds rolled in over the hills.",
                "{P} brushed pine needles off the {place}.", "Two ducks paddled past the shore."],
        closing=["That night, they cooked beans over the fire.", "They went to bed early.",
                 "In the morning, they paddled across the lake."]),
}

# ------------------------------------------------------------------------------ family: errands timeline
# (place, what was done there); the place is the answer key.
ERRANDS = {
    "saturday_errands": dict(
        who=["{A}"], intro=["On Saturday, {W} had a long list of errands.",
                            "{W} took the whole morning off to run errands in town."],
        places=[("bakery", "bought a loaf of rye bread"), ("post office", "mailed a parcel"),
                ("bank", "paid a gas bill"), ("pharmacy", "picked up cough drops"),
                ("hardware store", "bought a box of nails"), ("florist", "ordered a bunch of daisies"),
                ("dry cleaner", "dropped off a winter coat"), ("bookshop", "paid for a cookbook"),
                ("fish market", "bought two trout"), ("shoe repair shop", "had a heel fixed")],
        filler=["It was windy, and the streets were full of people.", "{B} called at one point to chat.",
                "The bus was late, so {W} walked most of the way."],
        closing=["Then {W} went home and made tea.", "By four o'clock {W} was home again."]),
    "school_trip": dict(
        who=["the class"], intro=["{A} took {W} on a trip to the city on Thursday.",
                                  "On the last day of term, {W} went on a trip with {A}, their teacher."],
        places=[("science museum", "built paper rockets"), ("planetarium", "learned about comets"),
                ("botanical garden", "drew cactus flowers"), ("zoo", "fed the goats"),
                ("old mill", "ground some flour"), ("city hall", "met the mayor"),
                ("fire station", "climbed into a fire truck"), ("aquarium", "touched a starfish"),
                ("chocolate factory", "tasted dark chocolate"), ("newspaper office", "printed a front page")],
        filler=["The coach smelled of oranges and sandwiches.", "{B}, one of the parents, came along to help.",
                "It drizzled for most of the day."],
        closing=["The coach brought everyone back to school by five.", "Everyone was tired on the ride home."]),
    "city_visit": dict(
        who=["{A} and {B}"], intro=["{W} spent a day exploring an old harbour town.",
                                    "On their holiday, {W} spent one day walking around the capital."],
        places=[("cathedral", "climbed the bell tower"), ("harbour", "rode on a fishing boat"),
                ("castle", "walked along the walls"), ("art gallery", "photographed a famous painting"),
                ("clock tower", "took photos of the square"), ("market square", "ate grilled corn"),
                ("old bridge", "bought a painted tile"), ("maritime museum", "bought a ship in a bottle"),
                ("rose garden", "sat by the fountain"), ("lighthouse", "counted the steps")],
        filler=["The sun came out after a grey morning.", "A street band was playing near the station.",
                "They shared a map they had bought at the station."],
        closing=["In the evening they caught the last train back.", "Then they went back to the hotel."]),
    "delivery_route": dict(
        who=["{A}"], intro=["{W} drove the delivery van for the first time on Tuesday.",
                            "On a snowy Monday, {W} had five parcels to deliver."],
        places=[("primary school", "left a box of books"), ("dentist", "dropped off new gloves"),
                ("pet shop", "delivered bags of bird seed"), ("gym", "brought a set of weights"),
                ("town hall", "handed over a stack of posters"), ("bike shop", "delivered two tyres"),
                ("bakery", "brought a sack of flour"), ("garden centre", "left a crate of pots"),
                ("hotel", "delivered fresh towels"), ("music shop", "dropped off a drum")],
        filler=["The van's heater was broken, so {W} wore gloves.", "{B} from the depot sent a list of addresses.",
                "Traffic was slow near the river."],
        closing=["{W} returned the van to the depot at three.", "Then {W} parked the van and went home."]),
}
#: How a timeline tells its first, middle and last visit (``{Who}``/``{who}``: who goes, ``{sub}``: pronoun,
#: ``{p}``: the place, ``{act}``: what was done there).
ORDER_FRAMES = {
    "first": ["{Who} started at the {p}, where {sub} {act}.", "The first stop was the {p}, where {sub} {act}."],
    "middle": ["Next, {sub} went to the {p} and {act}.", "After that, {who} stopped at the {p} and {act}.",
               "From there, {sub} went on to the {p}, where {sub} {act}.", "Then {who} visited the {p}."],
    "last": ["Finally, {sub} went to the {p} and {act}.", "The last stop was the {p}, where {sub} {act}."],
}


# ------------------------------------------------------------------------------------- family: counts
COUNTS = {
    "classroom": dict(
        unit="students", where="in the classroom",
        start=["At nine o'clock there were {n} students in the classroom.",
               "{A} counted {n} students in the classroom when the lesson began."],
        minus=["At ten, {n} students left for choir practice.", "Then {n} students went to the school nurse.",
               "After the break, {n} students left early for a football match."],
        plus=["Later, {n} students came back from the library.", "Then {n} students arrived late from the bus.",
              "Before lunch, {n} students from another class joined them for the science lesson."],
        filler=["{A}, the teacher, wrote the date on the board.", "It was raining, so nobody went out at break.",
                "The room still smelled of fresh paint.", "{B} handed out the worksheets.",
                "The radiator under the window clanked loudly.", "A map of the world hung above the blackboard."],
        closing=["At noon the bell rang for lunch.", "The lesson ended with a short spelling test."]),
    "fruit_basket": dict(
        unit="apples", where="in the basket",
        start=["{A} filled a basket with {n} apples from the orchard.",
               "In the morning, there were {n} apples in the basket on the table."],
        minus=["{B} took {n} apples to bake a pie.", "Then {A} gave {n} apples to the neighbours.",
               "At lunchtime, {n} apples were packed into lunch boxes."],
        plus=["Later, {A} added {n} apples from the market.", "{B} picked {n} more apples and put them in the basket.",
              "Then a neighbour brought {n} apples and added them to the basket."],
        filler=["The kitchen smelled of cinnamon.", "{B} washed the pie dish.", "A wasp buzzed at the window.",
                "{A} swept the porch before lunch.", "The old clock in the hall struck eleven.",
                "The basket stood on a blue checked cloth."],
        closing=["In the evening the family ate the pie with cream.", "Then {A} covered the basket with a cloth."]),
    "bus_ride": dict(
        unit="passengers", where="on the bus",
        start=["The number eight bus left the depot with {n} passengers.",
               "When {A} started the morning route, there were {n} passengers on the bus."],
        minus=["At the first stop, {n} passengers got off.", "By the park, {n} passengers had left the bus.",
               "At the hospital, {n} passengers stepped off."],
        plus=["At the next stop, {n} passengers got on.", "Near the market, {n} more passengers climbed aboard.",
              "At the station, {n} passengers boarded the bus."],
        filler=["{A}, the driver, turned on the heating.", "It had started to snow.",
                "{B} rang the bell too early by mistake.", "The bus was running five minutes late.",
                "The windows were steamed up.", "A street market was setting up along the road."],
        closing=["The bus reached the town square at half past eight.", "Then the bus turned onto the ring road."]),
    "car_park": dict(
        unit="cars", where="in the car park",
        start=["At noon there were {n} cars in the car park behind the cinema.",
               "{A}, the attendant, counted {n} cars in the car park at opening time."],
        minus=["During the afternoon, {n} cars drove away.", "After the matinee, {n} cars left.",
               "Then {n} cars pulled out onto the main road."],
        plus=["Then {n} more cars drove in for the evening show.", "Later, {n} cars arrived for the late film.",
              "Just before the rain started, {n} cars came in."],
        filler=["{A} sat in the little booth by the gate.", "The barrier at the exit was stuck for a while.",
                "{B} brought the attendant a cup of coffee.", "A street sweeper rumbled past.",
                "The lights over the entrance flickered.", "Posters for a new film covered the wall."],
        closing=["At midnight the gates were locked.", "Then the cinema closed for the night."]),
}

# ------------------------------------------------------------------------------------- family: causes
# things, (cause, key word), what happened to a thing (past, infinitive); {B} in a cause is a person.
CAUSES = {
    "workshop": dict(
        intro=["{A} and {B} were working in the woodshop all afternoon.",
               "It was a long day at the repair workshop where {A} works."],
        things=["drill", "router", "sander", "lathe", "air compressor", "grinder", "planer", "jigsaw"],
        causes=[("the fuse blew", "fuse"), ("the belt snapped", "belt"), ("{B} pulled the plug", "plug"),
                ("the motor overheated", "motor"), ("the battery ran flat", "battery"),
                ("a blade jammed", "blade"), ("sawdust clogged the vent", "vent"), ("the switch broke", "switch")],
        verb=dict(past="stopped", why="Why did the {t} stop?", ask="Did the {t} stop?", neg="the {t} did not stop."),
        fine=["The {t} kept running until closing time.", "The {t} worked without trouble."],
        filler=["{A} swept up a pile of wood shavings.", "The radio played the football results.",
                "A delivery of oak planks arrived at two."],
        closing=["At five, {A} locked the workshop and went home.", "{B} made a list of parts to order."]),
    "garden": dict(
        intro=["{A} keeps a vegetable garden behind the house.", "{A} and {B} tend a small allotment."],
        things=["roses", "tomatoes", "ferns", "tulips", "sunflowers", "lettuces", "beans", "strawberries"],
        causes=[("the sprinkler broke", "sprinkler"), ("snails ate the leaves", "snails"),
                ("an early frost hit the beds", "frost"), ("the dog dug up the roots", "dog"),
                ("the soil dried out", "soil"), ("weeds crowded them out", "weeds"), ("hail battered them", "hail"),
                ("{B} sprayed them with weed killer", "killer")],
        verb=dict(past="wilted", why="Why did the {t} wilt?", ask="Did the {t} wilt?", neg="the {t} did not wilt."),
        fine=["The {t} grew tall and green all summer.", "The {t} stayed healthy."],
        filler=["It was a very dry June.", "{A} built a new compost heap.", "Blackbirds nested in the hedge."],
        closing=["In autumn, {A} dug new beds by the fence.", "{B} wrote it all down in a garden diary."]),
    "house": dict(
        intro=["Everything seemed to go wrong at {A}'s house on Tuesday.",
               "{A} and {B} had a strange evening at home."],
        things=["fridge", "heater", "doorbell", "ceiling fan", "washing machine", "toaster", "dishwasher", "radio"],
        causes=[("the fuse blew", "fuse"), ("the cable came loose", "cable"), ("a mouse chewed the wire", "mouse"),
                ("the timer switched it off", "timer"), ("water leaked into it", "water"),
                ("{B} unplugged it", "unplugged"), ("the power cord melted", "cord"), ("a spring snapped", "spring")],
        verb=dict(past="stopped working", why="Why did the {t} stop working?", ask="Did the {t} stop working?",
                  neg="the {t} did not stop working."),
        fine=["The {t} worked fine all evening.",
                                                      "The {t} kept going without a problem."],
        filler=["Outside, a storm was building.", "{A} was reading on the sofa.", "The cat slept by the door."],
        closing=["The next day, {A} called an electrician.", "{B} made a list of things to repair."]),
    "bakery": dict(
        intro=["{A} runs a small bakery on the corner.", "{A} and {B} baked for a market stall on Friday."],
        things=["bread", "cake", "pie", "tart", "flan", "quiche", "pudding", "sponge"],
        causes=[("the oven ran too hot", "oven"), ("{B} left out the sugar", "sugar"),
                ("the dough never rose", "dough"), ("the tray slipped off the rack", "tray"),
                ("the power went out", "power"), ("the butter was rancid", "butter"),
                ("the mixer broke", "mixer"), ("the eggs were bad", "eggs")],
        verb=dict(past="was ruined", why="Why was the {t} ruined?", ask="Was the {t} ruined?",
                  neg="the {t} was not ruined."),
        fine=["The {t} came out perfect.", "The {t} sold out by noon."],
        filler=["The first customers arrived at seven.", "{A} wrote the prices on a chalkboard.",
                "Flour dusted every surface."],
        closing=["At closing time, {A} swept the floor.", "{B} counted the money in the till."]),
}
#: How a story says that a cause made a thing fail: the first two can open a story, the others follow an event.
CAUSE_FRAMES = ["The {t} {past} because {c}.", "{C}, so the {t} {past}.", "Later, the {t} {past} because {c}.",
                 "Soon after that, {c}, and the {t} {past}."]


# --------------------------------------------------------------------------------- family: who did what
# (past, infinitive, key)
CHORES = {
    "garden_chores": dict(
        intro=["The neighbours spent Saturday fixing up the community garden.",
               "Before the spring fair, a few friends tidied the school garden."],
        tasks=[("watered the roses", "water the roses", "roses"), ("raked the leaves", "rake the leaves", "leaves"),
               ("painted the fence", "paint the fence", "fence"), ("mowed the lawn", "mow the lawn", "lawn"),
               ("planted the bulbs", "plant the bulbs", "bulbs"), ("fixed the gate", "fix the gate", "gate"),
               ("emptied the compost bin", "empty the compost bin", "compost"),
               ("trimmed the hedge", "trim the hedge", "hedge")],
        filler=["The sun came out around eleven.", "Someone had brought a flask of tea.",
                "A robin hopped along the path."]),
    "party_prep": dict(
        intro=["Everyone helped get the hall ready for the birthday party.",
               "The friends had two hours to prepare for the farewell party."],
        tasks=[("baked the cake", "bake the cake", "cake"), ("hung the lights", "hang the lights", "lights"),
               ("folded the napkins", "fold the napkins", "napkins"), ("swept the floor", "sweep the floor", "floor"),
               ("blew up the balloons", "blow up the balloons", "balloons"),
               ("set the table", "set the table", "table"), ("made the lemonade", "make the lemonade", "lemonade"),
               ("wrote the name cards", "write the name cards", "cards")],
        filler=["Music was already playing from a small speaker.", "The hall smelled of fresh flowers.",
                "The guests were due at seven."]),
    "camp_duties": dict(
        intro=["On the first evening of the scout camp, everyone had a job.",
               "The hikers split the camp work when they reached the valley."],
        tasks=[("pitched the tent", "pitch the tent", "tent"), ("gathered firewood", "gather firewood", "firewood"),
               ("filled the water jugs", "fill the water jugs", "jugs"),
               ("cooked the beans", "cook the beans", "beans"),
               ("washed the pots", "wash the pots", "pots"), ("dug the fire pit", "dig the fire pit", "pit"),
               ("carried the canoe", "carry the canoe", "canoe"), ("hung the food bag", "hang the food bag", "bag")],
        filler=["The sky turned orange behind the ridge.", "A cold wind came down from the hills.",
                "Frogs croaked by the stream."]),
    "band_practice": dict(
        intro=["The school band met early to prepare for the concert.",
               "Before the gig, the band members shared the work."],
        tasks=[("tuned the guitars", "tune the guitars", "guitars"), ("set up the drums", "set up the drums", "drums"),
               ("carried the speakers", "carry the speakers", "speakers"),
               ("printed the song sheets", "print the song sheets", "sheets"),
               ("fixed the microphone", "fix the microphone", "microphone"),
               ("booked the hall", "book the hall", "hall"),
               ("tested the amplifier", "test the amplifier", "amplifier"),
               ("swept the stage", "sweep the stage", "stage")],
        filler=["The caretaker unlocked the doors at eight.", "Rain drummed on the roof.",
                "A few parents arrived early."]),
}


# ------------------------------------------------------------------------------------- family: sports
SPORTS = {
    "football": dict(
        teams=["Hawks", "Lions", "Rovers", "Comets", "Falcons", "Otters", "Badgers", "Wolves"],
        event="match", unit="goals", halves=("In the first half", "In the second half"), score=(0, 4),
        intro=["The {T1} played the {T2} on a muddy Sunday afternoon.", "The {T1} met the {T2} in the cup semi-final."],
        star="{P} scored the first goal of the match.", filler=["The stands were packed.", "It rained all match."]),
    "basketball": dict(
        teams=["Rockets", "Giants", "Bulls", "Hornets", "Pirates", "Dragons", "Sharks", "Eagles"],
        event="game", unit="points", halves=("In the first half", "In the second half"), score=(18, 45),
        intro=["The {T1} hosted the {T2} in a packed gym.", "The {T1} and the {T2} met in the school league final."],
        star="{P} made the first basket of the game.", filler=["The crowd stamped their feet.",
                                                                "The coach called two time-outs."]),
    "hockey": dict(
        teams=["Huskies", "Storm", "Blades", "Ravens", "Penguins", "Bears", "Foxes", "Vikings"],
        event="game", unit="goals", halves=("In the first period", "In the second period"), score=(0, 4),
        intro=["The {T1} faced the {T2} on the frozen lake rink.", "The {T1} played the {T2} at the ice arena."],
        star="{P} scored the opening goal.", filler=["The ice was freshly cleaned.", "Fans rang cowbells."]),
    "quiz_night": dict(
        teams=["Owls", "Brainboxes", "Quizards", "Puzzlers", "Bookworms", "Smarties", "Mavericks"],
        event="quiz", unit="points", halves=("In the first round", "In the second round"), score=(3, 15),
        intro=["The {T1} took on the {T2} at the pub quiz.", "At the library quiz night, the {T1} faced the {T2}."],
        star="{P} gave the first correct answer of the night.", filler=["The host read the questions slowly.",
                                                                         "Crisps were handed round."]),
}


# ------------------------------------------------------------------------------- family: library loans
BOOK_TOPICS = ["volcanoes", "sharks", "pirates", "birds", "space travel", "dinosaurs", "knitting", "castles",
               "chess", "rivers", "robots", "ancient Egypt", "mushrooms", "trains"]
LOANS = {
    "school_library": dict(
        place="the school library", intro=["On Monday, the school library was busy at lunchtime."],
        filler=["{C} shelved the returned books.", "The library cat slept on the radiator."]),
    "town_library": dict(
        place="the town library", intro=["The town library reopened on Monday after the holidays."],
        filler=["{C} stamped the due dates.", "A reading group met in the back room."]),
}


# ------------------------------------------------------------------------------- family: train journey
STATIONS = ["Millbrook", "Ashford Cross", "Kingsbridge", "Dunmore", "Elmstead", "Harlow Green", "Redcliffe",
            "Stonebay", "Thornfield", "Wyncombe", "Bramley", "Oakhurst"]
JOURNEYS = {
    "morning_train": dict(vehicle="train", start="The morning train left {s} at eight o'clock with {n} passengers.",
                          filler=["{A}, the conductor, checked the tickets.", "Fog lay over the fields.",
                                  "{B} sold coffee from a trolley.", "Sheep grazed beside the tracks."]),
    "river_ferry": dict(vehicle="ferry", start="The river ferry left {s} at nine with {n} passengers on board.",
                        filler=["{A}, the captain, sounded the horn.", "Gulls followed the boat.",
                                "{B} sold tea at the little counter.", "Mist hung over the water."]),
}


#: Proper names used besides PEOPLE (checked against the test scenarios' names too).
PROPER_NAMES = STATIONS + [t for v in SPORTS.values() for t in v["teams"]]
