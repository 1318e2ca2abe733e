"""The demo library: videos taken from the vendor's own examples, with transcripts and summaries.

Private seeds appear in every (API key, unique_id) scope and can be deleted there; public
seeds form the shared public library (TikTok, YouTube, Instagram) that `search_public`,
`marketer_chat` and the public detail endpoints read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ._text import Segment, SummaryItem

__all__ = ["PRIVATE_SEEDS", "PUBLIC_SEEDS", "SeedVideo"]


@dataclass(frozen=True)
class SeedVideo:
    """A demo video: identity, transcripts, summary and (public videos) platform metadata."""

    video_no: str
    name: str
    duration: int
    size: int
    create_time: int
    visual: tuple[Segment, ...]
    audio: tuple[Segment, ...]
    summary: str
    chapters: tuple[SummaryItem, ...] = ()
    platform: str | None = None
    detail: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


S = Segment
C = SummaryItem

_RACE = SeedVideo(
    video_no="VI606099815446712320",
    name="mens_400m_final",
    duration=401,
    size=5_324_808,
    create_time=1754030012345,
    visual=(
        S(
            0,
            31,
            "Opening titles of the men's 400-meter final; the stadium is packed and the "
            "crowd waves flags.",
        ),
        S(
            31,
            50,
            "Athlete introductions: Van Dijk of South Africa waves to the camera from lane eight.",
        ),
        S(
            50,
            86,
            "Matthew Hudson-Smith, Karani James and LeSean Merritt are introduced on the "
            "big screen.",
        ),
        S(
            86,
            151,
            "The runners settle into their starting blocks while the commentators list "
            "their personal bests.",
        ),
        S(151, 155, "The start: the gun fires and the runners explode out of the blocks."),
        S(
            155,
            178,
            "Down the back straight the field stays tight, Van Dijk running blind in the "
            "outside lane.",
        ),
        S(178, 185, "Van Dijk takes the lead coming off the final bend."),
        S(
            185,
            199,
            "Van Dijk wins the race in 43.03 seconds and breaks the world record; the "
            "clock flashes WR.",
        ),
        S(
            199,
            214,
            "Van Dijk celebrates with the South African flag as the other runners "
            "congratulate him.",
        ),
        S(214, 222, "Slow-motion replay of the finish line as the commentators react."),
        S(
            222,
            292,
            "Karani James takes silver and LeSean Merritt bronze; replays and analysis of "
            "the splits.",
        ),
        S(
            292,
            368,
            "Commentators discuss the historic moment for South Africa and the old world record.",
        ),
        S(368, 379, "Usain Bolt congratulates Van Dijk and hugs him on the track."),
        S(379, 401, "Closing shots of the crowd and the medal winners leaving the track."),
    ),
    audio=(
        S(0, 31, "Welcome to the final of the men's four hundred meters, what a night this is."),
        S(31, 50, "In lane eight, from South Africa, Wayde van Dijk."),
        S(151, 155, "And they're away!"),
        S(178, 185, "Van Dijk still leads, can he hold on?"),
        S(185, 199, "A new world record! Forty-three point zero three!"),
        S(214, 222, "Unbelievable, he ran the whole race blind in lane eight."),
        S(288, 292, "Karani James takes the silver, LeSean Merritt the bronze."),
        S(315, 321, "This is a historic moment for South African athletics."),
        S(368, 379, "And here is Usain Bolt to congratulate him, what a gesture."),
    ),
    summary=(
        "This video features the men's 400-meter race, highlighting top athletes like Van Dijk, "
        "Matthew Hudson-Smith, Karani James, and LeSean Merritt. Van Dijk wins with a "
        "record-breaking time of 43.03, setting a new world record. Karani James and LeSean "
        "Merritt secure silver and bronze, respectively. The victory is celebrated as a historic "
        "moment for South Africa, with commentators praising Van Dijk's performance and Usain "
        "Bolt congratulating him."
    ),
    chapters=(
        C("Introduction", "Sets the stage for the men's 400m final, teasing the big event.", 0, 31),
        C(
            "Athlete Spotlight",
            "Introduces the runners, their credentials, and what's at stake.",
            31,
            140,
        ),
        C("The Race Begins", "Focus on Van Dijk's quick start and race dynamics.", 140, 185),
        C(
            "Van Dijk's Historic Victory",
            "Showcases the moment Van Dijk breaks the record.",
            185,
            222,
        ),
        C(
            "Reactions & Analysis",
            "Commentary, reactions, and technical breakdown of the race.",
            222,
            292,
        ),
        C("The Significance", "Wrap-up, Bolt's praise, and the race's legacy.", 292, 401),
    ),
)

_LAUNDRY = SeedVideo(
    video_no="VI606041694843813888",
    name="laundry_by_the_stream",
    duration=24,
    size=2_118_322,
    create_time=1754020120554,
    visual=(
        S(
            0,
            8,
            "Under a rocky overhang, three people are washing clothes in a shallow stream. "
            "Two individuals are seated on the pebbled ground, tending to laundry in basins, "
            "while a third person stands in the water further downstream. To the left, an "
            "open doorway reveals a room with a fireplace and a person tending to the fire. "
            "The background shows a misty, mountainous landscape with trees.",
        ),
        S(
            8,
            16,
            "Close-up of hands scrubbing a white shirt on a flat stone while soap suds "
            "drift downstream.",
        ),
        S(
            16,
            24,
            "The person by the doorway adds wood to the fireplace as mist rolls over the "
            "mountains.",
        ),
    ),
    audio=(
        S(0, 8, "Running water and quiet conversation in the background."),
        S(8, 16, "Can you pass me the other basin?"),
        S(16, 24, "The fire is almost ready, come and warm your hands."),
    ),
    summary=(
        "People wash laundry in a mountain stream beneath a rocky overhang while someone tends a "
        "fireplace in a nearby room; mist covers the mountains in the background."
    ),
)

_PARKING = SeedVideo(
    video_no="VI606140356924534784",
    name="test_video_gz_visual_understanding_fuse_s9_video_fuse_4_video_fuse_4",
    duration=40,
    size=3_583_477,
    create_time=1754035126001,
    visual=(
        S(
            0,
            10,
            "A woman, a boy, and another woman are walking towards a parked car in a parking "
            "lot. They are carrying shopping bags. The car doors are open.",
        ),
        S(
            10,
            23,
            "The boy is looking at his phone near the open car door. One of the women is "
            "bending down, seemingly interacting with something on the ground near the "
            "car.",
        ),
        S(23, 30, "A red backpack lies on the back seat as the family loads the shopping bags."),
        S(
            30,
            36,
            "A close-up view shows a collection of items on a concrete surface. To the "
            "left, two brown, round objects resembling small barrels or planters are "
            "visible. One has a blue lid or insert. Next to them, a black corrugated pipe "
            "is partially visible, along with a red flexible tube and a yellow pole with a "
            "red tip. A grey, textured wall or fence dominates the right side of the "
            "frame, with wooden planks visible at the top right.",
        ),
        S(36, 40, "The family gets into the car and the doors close."),
    ),
    audio=(
        S(0, 10, "Mommy, you're going to go."),
        S(10, 23, "Mommy, you're going to go? Wait for me."),
        S(23, 30, "Put the bags in the back, please."),
    ),
    summary=(
        "The video seems to capture a family in a parking lot, possibly dealing with a minor "
        "emergency or preparing to leave. The audio consists of fragmented speech, mainly a "
        "child's voice repeating \"Mommy, you're going to go,\" suggesting a departure or "
        "concern. The visual content shows the family approaching their car with shopping bags "
        "and a red backpack. There is no clear indication of what's happening, so it's hard to "
        "say definitively what the video is about without additional context."
    ),
    chapters=(
        C(
            "Arrival at the Car",
            "A woman, a boy, and another woman are walking towards a parked "
            "car in a parking lot. They are carrying shopping bags. The car doors are open.",
            0,
            10,
        ),
        C(
            "Phone and Interaction on the Ground",
            "The boy is looking at his phone near the open "
            "car door. One of the women is bending down, seemingly interacting with something on "
            "the ground near the car.",
            10,
            30,
        ),
        C(
            "Close-up of Objects on the Ground",
            "Close-up view reveals objects on a concrete "
            "surface, including brown planters, a black pipe, a red tool, and a yellow broom "
            "or mop handle.",
            30,
            40,
        ),
    ),
)

_BOAT = SeedVideo(
    video_no="VI606404158946574336",
    name="182082-867762198_tiny",
    duration=12,
    size=3_284_512,
    create_time=1754037217992,
    visual=(
        S(0, 6, "A small white boat sails across the open ocean under a clear blue sky."),
        S(6, 12, "Waves splash against the hull as the boat turns toward the rocky coast."),
    ),
    audio=(S(0, 12, "Wind and waves, the hum of an outboard motor."),),
    summary="A small boat crosses the ocean and heads toward a rocky coast.",
)

_COSPLAY = SeedVideo(
    video_no="VI606401846039576576",
    name="ssstik.io_@evarose.cosplay_1747479033469",
    duration=44,
    size=3_583_477,
    create_time=1754036666561,
    visual=(
        S(0, 15, "A cosplayer in a silver wig and blue armor poses in front of a mirror."),
        S(15, 30, "Close-up of the hand-painted armor details and a glowing prop sword."),
        S(30, 44, "The cosplayer spins around as the lights change from blue to purple."),
    ),
    audio=(S(0, 44, "Upbeat electronic music; a voice says: this took me three weeks to make."),),
    summary="A cosplayer shows off a silver-wigged, blue-armored costume and its prop sword.",
)

PRIVATE_SEEDS: tuple[SeedVideo, ...] = (_RACE, _LAUNDRY, _PARKING, _BOAT, _COSPLAY)


def _public(
    video_no: str,
    name: str,
    platform: str,
    duration: int,
    create_time: int,
    visual: tuple[Segment, ...],
    audio: tuple[Segment, ...],
    summary: str,
    **detail: str,
) -> SeedVideo:
    return SeedVideo(
        video_no=video_no,
        name=name,
        duration=duration,
        size=1_048_576 + duration * 65_536,
        create_time=create_time,
        visual=visual,
        audio=audio,
        summary=summary,
        platform=platform,
        detail=MappingProxyType(detail),
    )


PUBLIC_SEEDS: tuple[SeedVideo, ...] = (
    _public(
        "PI-603068775285264430",
        "24 HOURS WOLVES FANS. 🐺 #nba #minnesota #timberwolves ",
        "TIKTOK",
        13,
        1753242002121,
        (
            S(0, 5, "Minnesota Timberwolves fans in the arena jump and cheer in blue jerseys."),
            S(5, 13, "A fan holds a wolf mask up to the camera as the team runs onto the court."),
        ),
        (S(0, 13, "Let's go Wolves! Twenty-four hours until tip-off."),),
        "Timberwolves fans count down to game day in the arena.",
        video_url="https://www.tiktok.com/player/v1/7434361641896103211",
        like_count="1460",
        share_count="6",
        comment_count="29",
        view_count="14200",
        collect_count="50",
        blogger_id="timberwolves",
        text_language="en",
        music_name="original sound",
        hash_tag="#nba#minnesota#timberwolves",
        publish_time="1730947213",
    ),
    _public(
        "PI-594031499251159058",
        "Vintage liquidation sale haul",
        "TIKTOK",
        9,
        1751003300120,
        (
            S(0, 4, "A woman unpacks two tote bags of vintage clothes and ceramics onto her bed."),
            S(4, 9, "She holds up a floral teapot and a leather jacket to the camera."),
        ),
        (
            S(0, 3, "I just got back from my friend's vintage liquidation sale."),
            S(3, 7, "Somehow I came back with two bags full of stuff."),
            S(7, 9, "Fully intended just to browse."),
        ),
        "A thrift haul from a friend's vintage liquidation sale.",
        video_url="https://www.tiktok.com/player/v1/7390011223344556677",
        like_count="8120",
        share_count="214",
        comment_count="96",
        view_count="120400",
        collect_count="730",
        blogger_id="thriftwithmaya",
        text_language="en",
        music_name="original sound",
        hash_tag="#thrift#vintage#haul",
        publish_time="1720012345",
    ),
    _public(
        "PI-600947902470296459",
        "They played in their OPPONENTS jerseys?!?",
        "TIKTOK",
        31,
        1752810011876,
        (
            S(0, 12, "Two youth soccer teams line up on a grass field before kick-off."),
            S(12, 23, "The referee checks the players' shirts with a puzzled look."),
            S(
                23,
                27,
                "Players warm up wearing their opponents' jerseys, swapping colors as a prank.",
            ),
            S(27, 31, "Both teams laugh and swap the jerseys back before the match."),
        ),
        (S(23, 27, "Wait, why are they wearing the other team's jerseys?"),),
        "Two teams swap jerseys as a prank before a match.",
        video_url="https://www.tiktok.com/player/v1/7412345678901234567",
        like_count="95400",
        share_count="2210",
        comment_count="1840",
        view_count="2300000",
        collect_count="4100",
        blogger_id="soccerfunnies",
        text_language="en",
        music_name="original sound",
        hash_tag="#soccer#prank#football",
        publish_time="1726543210",
    ),
    _public(
        "PI-603094436211358720",
        "nike x skims",
        "TIKTOK",
        8,
        1753300011223,
        (
            S(
                0,
                8,
                "Nike posted a low-key image: two embossed logos, the Nike swoosh beside the "
                "SKIMS wordmark, on a dark-brown textured leather surface.",
            ),
        ),
        (S(0, 8, "Ambient music, no speech."),),
        "A minimal Nike x SKIMS teaser with embossed logos on brown leather.",
        video_url="https://www.tiktok.com/player/v1/7533300112233445566",
        like_count="59500",
        share_count="9226",
        comment_count="146",
        view_count="1000000",
        collect_count="3100",
        blogger_id="nike",
        text_language="en",
        music_name="original sound",
        hash_tag="",
        publish_time="1753290000",
    ),
    _public(
        "PI-603112233445566778",
        "Usain Bolt 100m final - sprint race highlights",
        "YOUTUBE",
        96,
        1753400022334,
        (
            S(
                0,
                30,
                "Sprinters line up for the 100 meters final; Usain Bolt strikes his "
                "lightning pose.",
            ),
            S(30, 40, "The sprint race starts and Usain Bolt pulls away from the field."),
            S(40, 96, "Bolt crosses the line first and celebrates with the crowd."),
        ),
        (S(30, 40, "Bolt is away, and he is flying!"),),
        "Highlights of a 100m sprint race won by Usain Bolt.",
        video_url="https://www.youtube.com/watch?v=emulated0001",
        like_count="310000",
        share_count="12000",
        comment_count="8800",
        view_count="25000000",
        collect_count="0",
        blogger_id="worldathletics",
        text_language="en",
        music_name="",
        hash_tag="#athletics#bolt",
        publish_time="1700000000",
    ),
    _public(
        "PI-603123344556677889",
        "Latte art, slow motion",
        "INSTAGRAM",
        20,
        1753500033445,
        (
            S(0, 10, "A barista pours steamed milk into an espresso cup, drawing a heart."),
            S(10, 20, "Slow-motion close-up of the latte art turning into a rosetta."),
        ),
        (S(0, 20, "Soft jazz and the hiss of the steam wand."),),
        "A barista draws latte art in slow motion.",
        video_url="https://www.instagram.com/p/DNu8_Fs4mSd/",
        like_count="4300",
        share_count="120",
        comment_count="58",
        view_count="61000",
        collect_count="900",
        blogger_id="coffee.lab",
        text_language="en",
        music_name="Blue in Green",
        hash_tag="#latteart#coffee",
        publish_time="1752000000",
    ),
)
