"""The word tables of the belief ablation's story families (:mod:`.families`) and of its rejected answers.

``{A}``, ``{B}``, ``{obj}`` ... in a sentence are the keys :func:`.families.fill` fills from a story's draws. The
names are those of the default dataset's stories (:data:`tomlab.data.stories.PEOPLE`), none of them in the test
scenarios or the chain-of-thought examples.
"""

from __future__ import annotations

OBJECTS = ["keys", "notebook", "phone charger", "scarf", "umbrella", "passport", "tennis racket", "toy robot",
           "reading glasses", "wallet", "camera", "headphones", "library book", "water bottle", "sketchbook",
           "garden gloves", "flashlight", "recipe card", "memory stick", "hairbrush", "board game", "yo-yo",
           "paint set", "harmonica", "swim goggles", "bike pump", "calculator", "puzzle box"]
# (preposition, place)
PLACES = [("in", "the green box"), ("in", "the wooden chest"), ("on", "the top shelf"), ("in", "the desk drawer"),
          ("in", "the hall closet"), ("in", "the blue backpack"), ("in", "the basket by the door"),
          ("in", "the cabinet under the stairs"), ("in", "the box under the bed"), ("on", "the shelf in the garage"),
          ("in", "the toy bin"), ("in", "the laundry basket"), ("in", "the glove box of the car"),
          ("in", "the drawer of the nightstand"), ("in", "the tin on the windowsill"),
          ("in", "the bag behind the sofa"),
          ("on", "the kitchen counter"), ("on", "the piano")]
AWAY = ["went to the bakery", "left for a piano lesson", "went for a run", "walked to the post office",
        "took the dog to the park", "drove to a meeting across town", "went upstairs to take a nap",
        "left for football practice", "went to the dentist", "went to visit a friend", "went to the market",
        "left to catch the bus"]
RETURN = ["An hour later, {A} came back to get {a_pos} {obj}.", "When {A} returned, {a_sub} wanted {a_pos} {obj}.",
          "In the evening, {A} came home and needed the {obj}.", "After a while, {A} returned for the {obj}."]
MOVE_REASON = ["to make room", "while tidying up", "because it was in the way", "to keep it safe",
               "while looking for something else", ""]
# (container, what it usually holds, what is in it now)
CONTAINERS = [("cookie tin", "cookies", "sewing supplies"), ("cereal box", "cereal", "crayons"),
              ("egg carton", "eggs", "golf balls"), ("pencil case", "pencils", "candy"),
              ("jam jar", "jam", "buttons"), ("shoe box", "shoes", "old letters"), ("tea caddy", "tea", "coins"),
              ("guitar case", "a guitar", "blankets"), ("vitamin bottle", "vitamins", "beads"),
              ("lunch box", "sandwiches", "toy cars"), ("crayon box", "crayons", "birthday candles"),
              ("sugar bowl", "sugar", "salt"), ("coffee can", "coffee", "nails"),
              ("violin case", "a violin", "comic books")]
# (thing, state before, state after, how it changed)
STATES = [("kitchen window", "open", "closed", "{B} closed it when the rain started"),
          ("porch light", "on", "off", "{B} switched it off to save power"),
          ("garden hose", "running", "turned off", "{B} turned it off when the lawn was wet"),
          ("front gate", "unlocked", "locked", "{B} locked it before going to bed"),
          ("radio in the workshop", "playing", "silent", "a power cut stopped it"),
          ("bathtub tap", "dripping", "fixed", "a plumber fixed it that afternoon"),
          ("bakery oven", "cold", "hot", "{B} turned it on to bake rolls"),
          ("living room heater", "off", "on", "{B} switched it on because the room was chilly"),
          ("aquarium pump", "working", "broken", "the motor burned out"),
          ("shop sign", "reading OPEN", "reading CLOSED", "{B} flipped it at lunchtime")]
AWAY_STATE = ["left for a weekend trip", "went to work early", "spent the day at the library",
              "went to a concert downtown", "flew to a conference", "went hiking in the hills"]
MEETING_PLACES = ["the café by the river", "the bus station", "the museum entrance", "the corner bookstore",
                  "the city library", "the skating rink", "the pizza place on Elm Street", "the train platform",
                  "the park fountain", "the school gym"]
TIMES = ["at noon", "at three o'clock", "at six in the evening", "at ten in the morning", "after lunch"]
SHOPS = ["hardware store", "swimming pool", "bike repair shop", "flower market", "public library",
         "ice rink", "toy shop", "bookshop", "farmers' market", "pharmacy"]
GIFTS = ["a kite", "a new sketchbook", "a board game", "a pair of skates", "a telescope", "a set of paints",
         "a model train", "a wool hat", "a chess set", "a music box"]
HIDING = ["behind the curtains", "under the guest bed", "inside the piano bench", "on top of the wardrobe",
          "in the trunk of the car", "behind the coats in the closet", "under the stairs", "in the attic"]
EVASIONS = ["It is impossible to know what {A} thinks.", "The story does not say, so this cannot be determined.",
            "I cannot answer this question without more information.", "There is not enough information to answer.",
            "That depends on many things the story does not tell us.", "Nobody can know that for sure.",
            "This question cannot be answered from the context.", "It is hard to say. It could go either way."]
RAMBLE_OPENERS = ["{A} has lived in this town for many years and likes quiet mornings.",
                  "This reminds me of a story about a lighthouse keeper who collected old maps.",
                  "Many people keep their things in different places, which can be confusing.",
                  "{A} once read a book about memory and how people forget small details.",
                  "Let me think about the weather on that day, which was probably mild.",
                  "{A} and {B} have known each other since school."]
