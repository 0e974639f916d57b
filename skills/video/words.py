"""Words people use for what they want in a film, as constraint values of the video frame.

``SkillSpec.words.constraint_words``: slot -> value -> phrases (regular expressions matched as whole
words). They fill the frame with the language model off or still loading: tried without them,
"a funny animated movie" got "I don't know the genre 'funny animated'", "a clever heist movie"
and "something with dinosaurs in it" got whatever was popular, "an old western" a 2015 film.
Genre values are the catalog's genre names (``skills/video/constraints.GENRES``).
"""

from __future__ import annotations

from skills.decades import decade_phrases

GENRE_WORDS: dict[str, tuple[str, ...]] = {
    "Comedy": (
        r"funny",
        r"funnier",
        r"funniest",
        r"comed(?:y|ies)",
        r"comedic",
        r"hilarious",
        r"humou?rous",
        r"laughs?",
        r"make (?:me|us) laugh",
        r"cheer (?:me|us|her|him|them) up",
        r"rom ?-?coms?",
        r"silly",
        r"goofy",
    ),
    "Animation": (r"animated", r"animation", r"cartoons?", r"anime", r"pixar", r"disney"),
    "Horror": (
        r"horror",
        r"nightmares?",
        r"scary",
        r"scarier",
        r"scariest",
        r"frightening",
        r"spooky",
        r"creepy",
        r"gory",
        r"gore",
        r"slasher",
        r"zombies?",
        r"terrifying",
        r"haunted",
    ),
    "Crime": (r"crime", r"heists?", r"gangsters?", r"mafia", r"mob", r"bank robbery", r"robbery", r"cops"),
    "Drama": (
        r"dramas?",
        r"tear ?-?jerkers?",
        r"weepies?",
        r"serious",
        r"(?:have |need |want |do with )?a (?:good )?(?:cry|weep|sob)",
        r"make (?:me|us) cry",
    ),
    # "Romantic" is the genre people mean ("make it a romantic one", then "but funny too").
    "Romance": (
        r"romance",
        r"love stor(?:y|ies)",
        r"romantic",
        r"rom ?-?coms?",
        r"soppy",
        r"slushy",
        r"mushy",
        r"date night",
    ),
    "Science Fiction": (
        r"sci ?-?fi",
        r"scifi",
        r"science fiction",
        r"space",
        r"aliens",
        r"robots?",
        r"futuristic",
        r"time travel",
    ),
    "Western": (r"westerns?", r"cowboys?", r"wild west"),
    "Musical": (
        r"musicals?",
        r"sing ?-?along",
        r"singing and dancing",
        r"everybody sings",
        r"singing",
        r"with songs",
        r"songs in (?:it|them)",
    ),
    "Documentary": (r"documentar(?:y|ies)", r"docs?", r"true story", r"real events"),
    "Fantasy": (r"fantasy", r"magic", r"magical", r"wizards?", r"dragons?", r"fairy ?tales?", r"elves"),
    "Action": (r"action", r"explosions?", r"martial arts", r"kung fu", r"car chases?", r"fight scenes?"),
    "Adventure": (r"adventures?", r"pirates?", r"treasure", r"dinosaurs?", r"jungle", r"quest"),
    "Thriller": (
        r"thrillers?",
        r"suspense",
        r"suspenseful",
        r"edge of (?:my|our) seats?",
        r"tense",
        r"twisty",
    ),
    "War": (r"war", r"war (?:film|movie)s?", r"wartime", r"world war", r"soldiers"),
    "Mystery": (r"myster(?:y|ies)", r"whodunn?its?", r"detectives?", r"murder mystery"),
    "Biography": (r"biopics?", r"biograph(?:y|ies|ical)", r"life story"),
    "History": (r"historical", r"period (?:drama|piece)s?"),
    "Film Noir": (r"noir", r"film noir", r"black and white detective", r"hard ?-?boiled", r"private eyes?"),
    "Sport": (r"sports? (?:film|movie|drama)s?", r"boxing(?! day)", r"boxers?"),
}

MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "happy": (
        r"feel ?-?good",
        r"uplifting",
        r"lighter",
        r"light ?-?hearted",
        r"something light",
        r"happy",
        r"happier",
        r"cheerful",
        r"fun",
    ),
    "calm": (r"gentle", r"gentler", r"relaxing", r"calm", r"calmer", r"chilled", r"easy watching"),
    "sad": (r"sad",),
    "exciting": (r"exciting", r"thrilling", r"gripping", r"action ?-?packed", r"intense"),
    "cosy": (r"cos(?:y|ier)", r"coz(?:y|ier)", r"snuggle", r"rainy (?:day|night|evening|sunday)"),
    "thoughtful": (r"thought ?-?provoking", r"clever", r"smart", r"makes? (?:me|you|us) think", r"deep"),
    "sleep": (r"bedtime",),
}

AUDIENCE_WORDS: dict[str, tuple[str, ...]] = {
    # "No cartoons, the kids are in bed": a film for the grown-ups (it narrows nothing itself).
    "adults": (
        r"(?:the )?(?:kids|children) (?:are |have gone )?(?:in bed|asleep|to bed|out)",
        r"grown[- ]ups? only",
        r"just (?:for )?(?:us )?adults",
    ),
    "children": (
        r"for (?:the |my |our )?(?:kids|children|little ones|toddlers?|grandchildren|grandkids|nephews?|nieces?)",
        r"kid ?-?friendly",
        r"child ?-?friendly",
        r"family ?-?friendly",
        r"family (?:film|movie|night)s?",
        r"suitable for (?:kids|children)",
        r"children'?s",
        r"kids'? (?:film|movie)s?",
        r"my (?:little |young )?(?:daughter|son|kids|children|grandchildren|grandkids|niece|nephew|toddler)"
        r"(?:'s| is| are| turns?)? ?(?:[1-9]|1[0-2]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
        r"twelve|little|young|small)",
        r"with (?:the |my |our )?(?:kids|children|little ones|grandkids)",
        r"(?:my |our |a )?(?:[1-9]|1[0-2]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)[ -]years?[ -]olds?",
        r"(?:the |my |our )?(?:kids|children) (?:are|will be) watching",
        # Said in a film request at all, children are who will watch ("something the kids can
        # watch", "we've got the grandchildren"); "not for kids" rules it out instead.
        r"kids",
        r"children",
        r"little ones",
        r"grand(?:children|kids)",
        r"toddlers?",
        r"family (?:movie |film )?night",
        r"(?:for|with) the (?:whole )?family",
        r"nothing too (?:grown[- ]up|adult|mature)",
        r"not too (?:grown[- ]up|adult|scary for (?:kids|children))",
        r"pg",
        r"rated u",
        r"my (?:little |young |small )?(?:son|daughter|niece|nephew|grandson|granddaughter)s?",
        r"(?:a|my|our) kid'?s?",
        r"sleepover",
        r"birthday party",
        r"(?:my |our )?little (?:boy|girl|one)s?",
        r"twins",
        r"the whole family",
        r"babysitting",
        r"(?:the )?\w+'s kid",
        r"(?:they|she|he|the twins|the kids|my \w+|both)(?:'re|'s| are| is)(?: aged?)?(?: about| around| nearly| almost)? "
        r"(?:[1-9]|1[0-2]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
        r"(?! (?:am|pm|o'?clock|minutes|times))",
    ),
}

ERA_WORDS: dict[str, tuple[str, ...]] = {
    f"{start}-{start + 9}": phrases for start, phrases in decade_phrases().items()
}
# "after 2000", "before 1970", "1990 to 1995": the words are the value (``year_span`` reads them).
ERA_WORDS["{match}"] = (
    r"(?:before|after|since|from|pre|post|older than|newer than|earlier than|made after|made before)"
    r"[- ]?(?:the )?(?:1[89]\d\d|20\d\d)",
    r"(?:1[89]\d\d|20\d\d)\s*(?:-|to|and)\s*(?:1[89]\d\d|20\d\d)",
)
ERA_WORDS.update(
    {
        "before 1960": (
            r"black and white",
            r"black-and-white",
            r"silent (?:film|movie|era)s?",
            r"golden age",
        ),
        # "old" alone is left out: "my daughter is six years old" asks for no old film.
        "before 1975": (
            r"old(?:er)? (?:films?|movies?|westerns?|ones?|comed(?:y|ies)|musicals?|horrors?|thrillers?)",
            r"oldies?",
            r"classics?",
            r"vintage",
            r"older(?! than)",  # "older" alone after a film was a history question
        ),
        "after 1999": (r"this century", r"the twenty first century"),
        # "That one's too old": something recent, not a film of that age ruled out.
        "after 2009": (
            r"recent",
            r"brand new",
            r"new releases?",
            r"newer",
            r"newest",
            r"latest",
            r"modern",
            r"too old(?! for)",  # "they're too old for that" is the children's age
            r"(?:a )?(?:bit|little) old(?! for)",
            r"(?:too )?dated",
        ),
    }
)

DESCRIPTOR_WORDS: dict[str, tuple[str, ...]] = {
    "short": (r"short", r"shorter", r"not too long", r"quick", r"under two hours", r"not long"),
}

CONSTRAINT_WORDS = {
    "movie_genre": GENRE_WORDS,
    "mood": MOOD_WORDS,
    "audience": AUDIENCE_WORDS,
    "era": ERA_WORDS,
    "descriptor": DESCRIPTOR_WORDS,
}
