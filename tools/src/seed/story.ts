import type { Backdrop, Speaker } from './images.ts'

// The demo's script: a `pages` comic in three chapters and a `strip` webtoon in episodes.
// Every page's panels, transcript, characters and location come from its lines.

export interface Place {
  backdrop: Backdrop
  name: string
}

export const PLACES = {
  harbour: { backdrop: 'harbour', name: 'Harbour Town' },
  archive: { backdrop: 'archive', name: 'The Tide Archive' },
  market: { backdrop: 'market', name: 'The Night Market' },
  cliffs: { backdrop: 'night', name: 'The Cliff Road' },
  lighthouse: { backdrop: 'lighthouse', name: 'The Lighthouse' },
  garden: { backdrop: 'garden', name: 'The Walled Garden' },
  pond: { backdrop: 'night', name: 'The Moon Pond' },
} as const satisfies Record<string, Place>
export type PlaceName = keyof typeof PLACES

export interface Beat {
  title: string
  hover: string
  place: PlaceName
  lines: [Speaker, string][]
  caption?: string
  tags?: string[]
  contentWarning?: string
}

export interface Chapter {
  slug: string
  title: string
  description: string
  beats: Beat[]
}

export const CHARACTER_NAMES: Record<Speaker, string> = {
  MIRA: 'Mira',
  OTTO: 'Otto',
  PIP: 'Pip',
  MOTH: 'Moth',
  MOSS: 'Moss',
  NARRATOR: 'Narrator',
}

export const LANTERNFALL = {
  slug: 'lanternfall',
  title: 'Lanternfall',
  description:
    'Mira delivers letters in Harbour Town. When the lighthouse goes dark, a letter nobody sent asks her to light it again.\n\nA comic in *three chapters*, updated on Tuesdays.',
  chapters: [
    {
      slug: 'the-letter',
      title: 'The Letter',
      description: 'A letter with no sender, and a lighthouse with no light.',
      beats: [
        {
          title: 'Before dawn',
          hover: 'Every story starts before breakfast.',
          place: 'harbour',
          caption: 'Harbour Town, before dawn.',
          lines: [
            ['MIRA', 'Another morning, another sack of letters.'],
            ['PIP', 'Mrrp.'],
          ],
        },
        {
          title: 'No sender',
          hover: 'Who seals a letter with candle wax these days?',
          place: 'harbour',
          lines: [
            ['MIRA', 'This one has no sender.'],
            ['MIRA', 'And it is addressed to me.'],
          ],
        },
        {
          title: 'The seal',
          hover: 'The wax smells of salt.',
          place: 'harbour',
          lines: [
            ['PIP', 'Mrrrp?'],
            ['MIRA', 'A lighthouse, pressed into the wax.'],
            ['MIRA', 'Nobody has kept that light in years.'],
          ],
        },
        {
          title: 'Read it',
          hover: 'Pip votes yes. Pip always votes yes.',
          place: 'harbour',
          lines: [
            ['MIRA', '"The light must burn by the new moon."'],
            ['MIRA', 'That is in six days.'],
          ],
        },
        {
          title: 'Otto',
          hover: 'Otto has opinions about punctuality.',
          place: 'harbour',
          lines: [
            ['OTTO', 'You are four minutes late, Mira.'],
            ['MIRA', 'Otto! Look at this.'],
          ],
        },
        {
          title: 'Analysis',
          hover: 'Beep, in the affectionate sense.',
          place: 'harbour',
          lines: [
            ['OTTO', 'Paper: old. Ink: older.'],
            ['OTTO', 'Conclusion: mysterious.'],
            ['MIRA', 'Thank you, Otto.'],
          ],
        },
        {
          title: 'The archive',
          hover: 'Shhh.',
          place: 'archive',
          caption: 'The Tide Archive.',
          lines: [
            ['MIRA', 'If anyone knows who kept the light, it is written down here.'],
            ['PIP', 'Mrrp.'],
          ],
        },
        {
          title: 'Dust',
          hover: 'Pip is allergic to nothing and offended by everything.',
          place: 'archive',
          lines: [
            ['OTTO', 'Forty thousand ledgers. No index.'],
            ['MIRA', 'Then we read them all.'],
          ],
        },
        {
          title: 'Found it',
          hover: 'It is always the last shelf.',
          place: 'archive',
          lines: [
            ['MIRA', "Keeper's log, last entry..."],
            ['MIRA', '"Left the key with the lantern seller."'],
          ],
        },
        {
          title: 'The lantern seller',
          hover: 'The market only opens when the tide is out.',
          place: 'archive',
          lines: [
            ['OTTO', 'The lantern seller trades at the Night Market.'],
            ['MIRA', 'Which opens tonight.'],
          ],
        },
        {
          title: 'Plans',
          hover: 'A plan is a list of things that will go wrong.',
          place: 'harbour',
          lines: [
            ['MIRA', 'Market at dusk, lighthouse by the new moon.'],
            ['OTTO', 'And the letters?'],
            ['MIRA', 'The letters can wait one day.'],
          ],
        },
        {
          title: 'The round',
          hover: 'They could not wait one day.',
          place: 'harbour',
          lines: [
            ['MIRA', 'Fine. The letters first.'],
            ['PIP', 'Mrrp!'],
          ],
        },
        {
          title: 'Dusk',
          hover: 'The harbour at dusk, drawn in one sitting.',
          place: 'harbour',
          caption: 'That evening.',
          lines: [
            ['OTTO', 'The tide is going out.'],
            ['MIRA', 'Then so are we.'],
          ],
        },
        {
          title: 'Onward',
          hover: 'End of chapter one. Thank you for reading!',
          place: 'cliffs',
          lines: [
            ['MIRA', 'Stay close, Pip.'],
            ['PIP', 'Mrrp.'],
          ],
        },
      ],
    },
    {
      slug: 'the-night-market',
      title: 'The Night Market',
      description: 'Lanterns, haggling and a key that is not for sale.',
      beats: [
        {
          title: 'Lanterns',
          hover: 'Every lantern here has a name.',
          place: 'market',
          caption: 'The Night Market.',
          lines: [
            ['MIRA', 'I have never seen so many lights.'],
            ['OTTO', 'Three hundred and twelve.'],
          ],
        },
        {
          title: 'Stalls',
          hover: 'Fried dough is a valid currency.',
          place: 'market',
          lines: [
            ['MIRA', 'We are looking for the lantern seller.'],
            ['OTTO', 'Everyone here sells lanterns.'],
          ],
        },
        {
          title: 'The oldest stall',
          hover: 'The oldest stall has the newest paint.',
          place: 'market',
          lines: [
            ['MIRA', 'That one. At the end.'],
            ['PIP', 'Mrrrp.'],
          ],
        },
        {
          title: 'Closed',
          hover: 'A sign that says closed is a sign that says later.',
          place: 'market',
          lines: [
            ['OTTO', 'The sign says closed.'],
            ['MIRA', 'The lamp inside says otherwise.'],
          ],
        },
        {
          title: 'Knock',
          hover: 'Knock knock.',
          place: 'market',
          lines: [
            ['MIRA', 'Hello? We have a letter.'],
            ['MIRA', 'It asks us to light the lighthouse.'],
          ],
        },
        {
          title: 'Silence',
          hover: 'The quietest panel in the comic.',
          place: 'market',
          lines: [
            ['PIP', '...'],
            ['OTTO', 'Nobody is home.'],
          ],
        },
        {
          title: 'The key',
          hover: 'Keys always hang where you can just not reach them.',
          place: 'market',
          lines: [
            ['MIRA', 'Otto. The hook, above the door.'],
            ['OTTO', 'A key shaped like a lighthouse.'],
          ],
        },
        {
          title: 'Pip climbs',
          hover: 'Pip has been waiting her whole life for this panel.',
          place: 'market',
          lines: [
            ['MIRA', 'Pip, no!'],
            ['PIP', 'MRRP!'],
          ],
        },
        {
          title: 'Got it',
          hover: 'Nine lives, one key.',
          place: 'market',
          lines: [
            ['OTTO', 'The cat has the key.'],
            ['MIRA', 'The cat has the key.'],
          ],
        },
        {
          title: 'Is this stealing?',
          hover: 'Otto consulted his ethics module. It is still buffering.',
          place: 'market',
          lines: [
            ['OTTO', 'Is this stealing?'],
            ['MIRA', 'We will bring it back. With the light on.'],
          ],
        },
        {
          title: 'Storm clouds',
          hover: 'The weather in this comic has a sense of drama.',
          place: 'cliffs',
          caption: 'The Cliff Road.',
          lines: [
            ['OTTO', 'Pressure is dropping fast.'],
            ['MIRA', 'A storm, tonight of all nights.'],
          ],
          tags: ['weather'],
        },
        {
          title: 'Lightning',
          hover: 'Drawn with the lights off, for accuracy.',
          place: 'cliffs',
          lines: [
            ['MIRA', 'Run!'],
            ['PIP', 'MRRRP!'],
          ],
          tags: ['weather'],
          contentWarning: 'Flashing lights',
        },
        {
          title: 'Shelter',
          hover: 'A rock with a roof is a house if you believe hard enough.',
          place: 'cliffs',
          lines: [
            ['OTTO', 'We wait until it passes.'],
            ['MIRA', 'Five days left.'],
          ],
        },
        {
          title: 'The cliff road',
          hover: 'End of chapter two.',
          place: 'cliffs',
          lines: [
            ['MIRA', 'There. You can see it from here.'],
            ['OTTO', 'The lighthouse.'],
          ],
        },
      ],
    },
    {
      slug: 'the-lighthouse',
      title: 'The Lighthouse',
      description: 'Two hundred steps, one key, and the new moon rising.',
      beats: [
        {
          title: 'The door',
          hover: 'The door is older than Otto. Otto is offended.',
          place: 'lighthouse',
          caption: 'The Lighthouse.',
          lines: [
            ['MIRA', 'The key fits.'],
            ['OTTO', 'Of course it fits. It is shaped like the door.'],
          ],
        },
        {
          title: 'Stairs',
          hover: 'There are exactly 212 steps. We counted.',
          place: 'lighthouse',
          lines: [
            ['MIRA', 'How many steps?'],
            ['OTTO', 'Two hundred and twelve.'],
            ['MIRA', 'Do not tell me.'],
          ],
        },
        {
          title: 'The lamp room',
          hover: 'The lens is made of 900 pieces of glass.',
          place: 'lighthouse',
          lines: [
            ['MIRA', 'The lens is cracked.'],
            ['OTTO', 'And the lamp is empty.'],
          ],
        },
        {
          title: 'Oil',
          hover: 'Whale oil is out; sunflower oil is in.',
          place: 'lighthouse',
          lines: [
            ['OTTO', 'There is oil in the cellar.'],
            ['MIRA', 'Two hundred and twelve steps down.'],
          ],
        },
        {
          title: 'Down and up',
          hover: 'Montage! (It is one panel.)',
          place: 'lighthouse',
          lines: [
            ['MIRA', 'Down...'],
            ['MIRA', '...and up again.'],
          ],
        },
        {
          title: 'The crack',
          hover: "Sticky tape, the engineer's friend.",
          place: 'lighthouse',
          lines: [
            ['OTTO', 'I can hold the lens together.'],
            ['MIRA', 'For how long?'],
            ['OTTO', 'Long enough.'],
          ],
        },
        {
          title: 'Matches',
          hover: 'Matches: wet. Of course.',
          place: 'lighthouse',
          lines: [
            ['MIRA', 'The matches are soaked.'],
            ['PIP', 'Mrrp.'],
          ],
        },
        {
          title: 'The lantern',
          hover: 'Remember the lantern from page one? No? Look again.',
          place: 'lighthouse',
          lines: [
            ['MIRA', 'Wait. The lantern from the market.'],
            ['OTTO', 'It is still lit.'],
          ],
        },
        {
          title: 'Flame',
          hover: 'One flame to light another.',
          place: 'lighthouse',
          lines: [
            ['MIRA', 'Careful...'],
            ['OTTO', 'Careful is my middle name.'],
          ],
        },
        {
          title: 'Light',
          hover: 'This page took longer than the whole first chapter.',
          place: 'lighthouse',
          lines: [
            ['MIRA', 'It is burning!'],
            ['PIP', 'MRRP!'],
          ],
        },
        {
          title: 'Ships',
          hover: 'Somewhere out there, a sailor just sighed with relief.',
          place: 'lighthouse',
          lines: [
            ['OTTO', 'Three ships, turning for the harbour.'],
            ['MIRA', 'They can see the rocks now.'],
          ],
        },
        {
          title: 'The new moon',
          hover: 'Right on time.',
          place: 'lighthouse',
          caption: 'The night of the new moon.',
          lines: [
            ['MIRA', 'We made it.'],
            ['OTTO', 'With two hours to spare.'],
          ],
        },
        {
          title: 'Another letter',
          hover: 'Of course there is another letter.',
          place: 'lighthouse',
          lines: [
            ['MIRA', 'Otto. There is a letter on the desk.'],
            ['OTTO', 'Addressed to you.'],
          ],
        },
        {
          title: 'The keeper',
          hover: 'To be continued...',
          place: 'lighthouse',
          lines: [
            ['MIRA', '"Thank you, keeper."'],
            ['MIRA', 'Keeper?'],
            ['PIP', 'Mrrp.'],
          ],
        },
      ],
    },
  ] satisfies Chapter[],
  /** Drafted into the last chapter and scheduled: 20 and 40 minutes after the seed. */
  scheduled: [
    {
      title: 'Morning light',
      hover: 'A new job, a new uniform.',
      place: 'lighthouse',
      lines: [
        ['OTTO', 'Good morning, Keeper Mira.'],
        ['MIRA', 'Do not call me that.'],
      ],
    },
    {
      title: 'The first log',
      hover: 'Dear diary: the light is still on.',
      place: 'lighthouse',
      lines: [
        ['MIRA', "Keeper's log, day one."],
        ['MIRA', 'The light is on. The cat is asleep.'],
      ],
    },
  ] satisfies Beat[],
}

export const MOSS_AND_MOTH = {
  slug: 'moss-and-moth',
  title: 'Moss & Moth',
  description:
    'A vertical webtoon about a patch of moss and a moth who loves lamps a little too much. Scroll down to read; a new episode every full moon.',
  episodes: [
    {
      title: 'Episode 1: The lamp',
      hover: 'Moths and lamps: a love story.',
      segments: [
        [
          {
            place: 'garden',
            cast: ['MOSS', 'MOTH'],
            line: ['MOTH', 'Is that a lamp? It is a lamp!'],
            caption: 'The walled garden, at dusk.',
          },
          { place: 'garden', cast: ['MOSS'], line: ['MOSS', 'It is the moon.'] },
          { place: 'pond', cast: ['MOTH'], line: ['MOTH', 'The moon is a lamp!'] },
        ],
        [
          { place: 'pond', cast: ['MOTH'] },
          { place: 'pond', cast: ['MOTH'], line: ['MOTH', 'It is very far away.'] },
          { place: 'garden', cast: ['MOSS', 'MOTH'], line: ['MOSS', 'Most lamps are.'] },
        ],
        [
          { place: 'garden', cast: ['MOSS'], line: ['MOSS', 'Stay a while. I am soft.'] },
          { place: 'garden', cast: ['MOSS', 'MOTH'] },
        ],
      ],
    },
    {
      title: 'Episode 2: Rain',
      hover: 'Moss likes rain. Moth does not.',
      segments: [
        [
          { place: 'garden', cast: ['MOSS'], line: ['MOSS', 'Rain!'], caption: 'A wet morning.' },
          { place: 'garden', cast: ['MOTH'], line: ['MOTH', 'My wings!'] },
        ],
        [
          { place: 'garden', cast: ['MOSS', 'MOTH'], line: ['MOSS', 'Under the leaf. Quick.'] },
          { place: 'garden', cast: ['MOSS', 'MOTH'] },
          { place: 'garden', cast: ['MOTH'], line: ['MOTH', 'Thank you.'] },
        ],
        [
          {
            place: 'pond',
            cast: ['MOSS', 'MOTH'],
            line: ['MOSS', 'Rain is just the sky, visiting.'],
          },
          { place: 'pond', cast: ['MOTH'] },
        ],
      ],
    },
    {
      title: 'Episode 3: The gardener',
      hover: 'Every garden has a gardener. Most have opinions.',
      segments: [
        [
          { place: 'garden', cast: ['MOSS'], line: ['MOSS', 'Footsteps.'], caption: 'Noon.' },
          { place: 'garden', cast: ['MOTH'], line: ['MOTH', 'Big footsteps.'] },
        ],
        [
          {
            place: 'garden',
            cast: ['MOSS', 'MOTH'],
            line: ['MOSS', 'She pulls up moss from the path.'],
          },
          { place: 'garden', cast: ['MOTH'], line: ['MOTH', 'Then move off the path!'] },
        ],
        [
          { place: 'garden', cast: ['MOSS'], line: ['MOSS', 'I am very slow at moving.'] },
          {
            place: 'garden',
            cast: ['MOSS', 'MOTH'],
            line: ['MOTH', 'Then I will be fast for both of us.'],
          },
        ],
      ],
    },
    {
      title: 'Episode 4: The long night',
      hover: 'Moth stays up. Moss stays put.',
      segments: [
        [
          {
            place: 'pond',
            cast: ['MOTH'],
            line: ['MOTH', 'I carried you a seed of moss.'],
            caption: 'Midnight.',
          },
          { place: 'pond', cast: ['MOSS'] },
        ],
        [
          { place: 'pond', cast: ['MOSS', 'MOTH'], line: ['MOSS', 'Into the shade by the wall?'] },
          { place: 'garden', cast: ['MOTH'], line: ['MOTH', 'Where no boot can reach.'] },
        ],
        [
          { place: 'garden', cast: ['MOSS', 'MOTH'], line: ['MOSS', 'A hundred trips, for me?'] },
          { place: 'pond', cast: ['MOTH'], line: ['MOTH', 'A hundred and one.'] },
        ],
      ],
    },
    {
      title: 'Episode 5: Full moon',
      hover: 'See you next full moon.',
      segments: [
        [
          {
            place: 'pond',
            cast: ['MOSS', 'MOTH'],
            line: ['MOTH', 'Look. The big lamp.'],
            caption: 'The full moon.',
          },
          { place: 'pond', cast: ['MOSS'], line: ['MOSS', 'I see it from the wall now.'] },
        ],
        [
          { place: 'pond', cast: ['MOTH'], line: ['MOTH', 'Do you think it sees us?'] },
          { place: 'pond', cast: ['MOSS', 'MOTH'], line: ['MOSS', 'I think it sees you.'] },
        ],
        [
          { place: 'garden', cast: ['MOSS', 'MOTH'] },
          { place: 'pond', cast: ['MOTH'], line: ['MOTH', 'Good night, Moss.'] },
        ],
      ],
    },
  ] as Episode[],
}

export interface StripPanel {
  place: PlaceName
  cast: Speaker[]
  line?: [Speaker, string]
  caption?: string
}

export interface Episode {
  title: string
  hover: string
  /** One tall image per segment. */
  segments: StripPanel[][]
}

/** Author's notes, one per page in turn: Markdown with emphasis and a link. */
export const COMMENTARY = [
  'Thanks for reading! This page was inked with a *very* old brush pen. The colours are flat on purpose: I wanted it to read like a [ligne claire](https://en.wikipedia.org/wiki/Ligne_claire) album.',
  'Small confession: I redrew the harbour **three times**. The reference was a real fishing town, see [Wikimedia Commons](https://commons.wikimedia.org/wiki/Category:Harbours).',
  'Pip is based on our cat, who is *exactly* this dramatic. She approves of the comic as long as she is in it. (She also approves of [cats in art](https://en.wikipedia.org/wiki/Cats_in_art).)',
  'Otto speaks in numbers because numbers are the only thing he trusts. Writing his lines is **the best part** of my week. His design owes a lot to every [robot](https://en.wikipedia.org/wiki/Robot) of old science fiction.',
  'If you like the comic, tell a friend, or bookmark the [front page](/). *Thank you* for being here.',
  "Lettering tip: keep the balloons *above* the characters and read left to right. More in [Blambot's lettering guide](https://blambot.com/pages/comic-book-grammar-tradition).",
]
