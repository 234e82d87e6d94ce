import type { Commit } from '@inkstream/contracts'
import * as c from '../test/commits.ts'

// A generated comic for the relevance and speed bench: 4 series of 25 chapters, filler pages
// of ~180 words (a Zipf vocabulary of English and made-up words, the cast appearing often),
// and the hand-written pages below planted among them, which the graded queries look for.
// Deterministic: the same size gives the same corpus.

export interface Planted {
  slug: string
  title: string
  transcript?: string
  alt?: string[]
  hoverText?: string
  commentary?: string
  characters?: string[]
  locations?: string[]
  tags?: string[]
  /** Default published. Unpublished: published, then unpublished. */
  status?: 'published' | 'draft' | 'scheduled' | 'unpublished'
  series?: number
}

export const CAST = [
  'Captain Ink',
  'Bob Marlow',
  'Zephyrine',
  'Old Tom',
  'Mira Quill',
  'The Archivist',
  'Pip',
  'Señora Élodie',
]
export const PLACES = ['Harbour Town', 'The Lighthouse', 'Crow Market', 'The Ink Sea', 'Mill Hill']
const TAGS = ['storm', 'flashback', 'comedy', 'sea', 'night', 'chase', 'dream', 'letters']
const SERIES = ['Ink Tales', 'Night Shift', 'Paper Moons', 'The Long Tide']

export const PLANTED: Planted[] = [
  {
    slug: 'the-lighthouse-keeper',
    title: 'The Lighthouse Keeper',
    transcript:
      'OLD TOM: Forty years I kept this light.\nPIP: Did you ever see the serpent?\nOLD TOM: Once. On the night the lamp went dark.',
    alt: ['An old man polishes a huge brass lens at the top of a spiral stair'],
    characters: ['Old Tom', 'Pip'],
    locations: ['The Lighthouse'],
  },
  {
    slug: 'serpent-rising',
    title: 'Serpent Rising',
    transcript:
      'PIP: Look at the water!\nCAPTAIN INK: Hard to starboard, the leviathan is surfacing!',
    alt: ['Green coils break the grey waves around a tiny sailboat'],
    characters: ['Pip', 'Captain Ink'],
    tags: ['sea', 'storm'],
  },
  {
    slug: 'marmalade-heist',
    title: 'The Marmalade Heist',
    transcript:
      'BOB MARLOW: Nobody touches the marmalade.\nZEPHYRINE: Then nobody will notice when it is gone.',
    alt: ['Two figures in striped jumpers carry a jar across a moonlit rooftop'],
    characters: ['Bob Marlow', 'Zephyrine'],
    tags: ['comedy', 'chase'],
  },
  {
    slug: 'letters-from-elodie',
    title: 'Letters from Élodie',
    transcript: 'SEÑORA ÉLODIE: Every letter I wrote, I wrote to the sea.',
    alt: ['A stack of envelopes tied with red ribbon on a windowsill'],
    characters: ['Señora Élodie'],
    tags: ['letters', 'flashback'],
  },
  {
    slug: 'crow-market-morning',
    title: 'Crow Market Morning',
    transcript: 'MIRA QUILL: Three pickled herrings and a map, please.\nVENDOR: Maps are extra.',
    alt: ['Stalls under patched canvas, crows perched on every awning'],
    locations: ['Crow Market'],
    characters: ['Mira Quill'],
  },
  {
    slug: 'the-archivist-remembers',
    title: 'The Archivist Remembers',
    transcript: 'THE ARCHIVIST: Every book here was once a person who forgot something.',
    alt: ['Endless shelves vanish into fog; a lantern floats beside a ladder'],
    characters: ['The Archivist'],
    tags: ['dream'],
    commentary: 'This page took **three weeks**. The shelves are a nod to Borges.',
  },
  {
    slug: 'umbrella-duel',
    title: 'Umbrella Duel',
    transcript: 'ZEPHYRINE: En garde!\nBOB MARLOW: That is my good umbrella.',
    alt: ['Two umbrellas clash in the rain outside a bakery'],
    characters: ['Zephyrine', 'Bob Marlow'],
    tags: ['comedy'],
  },
  {
    slug: 'the-clockwork-gull',
    title: 'The Clockwork Gull',
    transcript: 'PIP: It ticks when it flies!\nMIRA QUILL: Somebody wound it up.',
    alt: ['A mechanical seagull with copper feathers lands on a bollard'],
    characters: ['Pip', 'Mira Quill'],
  },
  {
    slug: 'quiet-harbour',
    title: 'Quiet Harbour',
    transcript: 'CAPTAIN INK: Too quiet.',
    alt: ['Boats moored in still water; one lamp is lit in the harbourmaster hut'],
    locations: ['Harbour Town'],
    characters: ['Captain Ink'],
    hoverText: 'The calm before the calm before the storm.',
  },
  {
    slug: 'midnight-bakery',
    title: 'Midnight Bakery',
    transcript: 'OLD TOM: Bread at midnight tastes of tomorrow.',
    alt: ['Flour drifts like snow under a single bulb; a cat sleeps on the oven'],
    characters: ['Old Tom'],
    tags: ['night'],
  },
  {
    slug: 'the-drowned-bell',
    title: 'The Drowned Bell',
    transcript:
      'PIP: Can you hear it?\nCAPTAIN INK: The bell of Saint Anselm, under forty fathoms.',
    alt: ['A cathedral bell covered in barnacles, fish swimming through its mouth'],
    characters: ['Pip', 'Captain Ink'],
    tags: ['sea'],
  },
  {
    slug: 'kite-festival',
    title: 'Kite Festival',
    transcript: 'MIRA QUILL: Mine is the dragon.\nPIP: Mine is the one in the tree.',
    alt: ['Dozens of kites over Mill Hill, one tangled in an oak'],
    locations: ['Mill Hill'],
    characters: ['Mira Quill', 'Pip'],
  },
  {
    slug: 'inkwell-prophecy',
    title: 'The Inkwell Prophecy',
    transcript: 'THE ARCHIVIST: When the last inkwell runs dry, the stories will write themselves.',
    alt: ['A cracked inkwell glowing faintly on a desk of black glass'],
    characters: ['The Archivist'],
    tags: ['dream'],
  },
  {
    slug: 'shipwreck-picnic',
    title: 'Shipwreck Picnic',
    transcript: 'BOB MARLOW: Who brought the sandwiches?\nZEPHYRINE: The ship did, sort of.',
    alt: ['A picnic blanket spread on the tilted deck of a beached galleon'],
    characters: ['Bob Marlow', 'Zephyrine'],
    tags: ['comedy', 'sea'],
  },
  {
    slug: 'fog-over-crow-market',
    title: 'Fog over Crow Market',
    transcript:
      'VENDOR: Nobody buys anything in fog.\nMIRA QUILL: I do. Fog is when the rare things come out.',
    alt: ['Lanterns haloed in fog, a hooded seller with a birdcage'],
    locations: ['Crow Market'],
    characters: ['Mira Quill'],
  },
  {
    slug: 'tom-and-the-telescope',
    title: 'Tom and the Telescope',
    transcript: 'OLD TOM: Saturn has rings, and so does my coffee cup.',
    alt: ['A brass telescope pointed at a ringed planet from a cluttered attic'],
    characters: ['Old Tom'],
    tags: ['night'],
  },
  {
    slug: 'the-paper-boat',
    title: 'The Paper Boat',
    transcript: 'PIP: If it floats to the lighthouse, the wish comes true.',
    alt: ['A folded newspaper boat in a gutter stream'],
    characters: ['Pip'],
  },
  {
    slug: 'captains-log',
    title: "Captain's Log",
    transcript: 'CAPTAIN INK: Day ninety. The compass points at whatever I want most.',
    alt: ['A leather logbook open beside a compass whose needle spins'],
    characters: ['Captain Ink'],
    commentary: 'A [homage](https://example.com/pirates) to a certain film about a compass.',
  },
  {
    slug: 'rooftop-garden',
    title: 'Rooftop Garden',
    transcript: 'ZEPHYRINE: Tomatoes, chillies, and one very suspicious cabbage.',
    alt: ['Pots of vegetables crammed on a slate roof beside a chimney'],
    characters: ['Zephyrine'],
  },
  {
    slug: 'winter-swim',
    title: 'Winter Swim',
    transcript: 'BOB MARLOW: It is not cold.\nBOB MARLOW: It is extremely cold.',
    alt: ['A man in a striped bathing suit waist-deep in icy water, steam rising'],
    characters: ['Bob Marlow'],
    tags: ['comedy', 'sea'],
  },
  {
    slug: 'the-secret-chapter',
    title: 'The Secret Chapter',
    transcript: 'THE ARCHIVIST: This page does not exist yet: zanzibarite.',
    alt: ['A blank page'],
    status: 'draft',
  },
  {
    slug: 'pulled-page',
    title: 'A Page Pulled Back',
    transcript: 'PIP: You will never read this: quorblevane.',
    alt: ['Scribbles'],
    status: 'unpublished',
  },
  {
    slug: 'tomorrow-page',
    title: 'Tomorrow',
    transcript: 'MIRA QUILL: Come back on Friday for the glimmerwick.',
    alt: ['An hourglass'],
    status: 'scheduled',
  },
  {
    slug: 'opera-of-crabs',
    title: 'Opera of Crabs',
    transcript: 'SEÑORA ÉLODIE: Sing, my little crustaceans, sing!',
    alt: ['A choir of crabs in tiny bow ties on a tide-pool stage'],
    characters: ['Señora Élodie'],
    tags: ['comedy'],
  },
  {
    slug: 'the-map-that-lied',
    title: 'The Map That Lied',
    transcript: 'MIRA QUILL: X marks the spot.\nCAPTAIN INK: X marks a very wet spot.',
    alt: ['A treasure map with the X drawn in the middle of the ocean'],
    characters: ['Mira Quill', 'Captain Ink'],
  },
]

// ---- filler

function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const COMMON =
  'the a and of to in is it you that he was for on are with as his they be at one have this from or had by word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now find any new work part take get place made live where after back little only round man year came show every good me give our under name very through just form sentence great think say help low line differ turn cause much mean before move right boy old too same tell does set three want air well also play small end put home read hand port large spell add even land here must big high such follow act why ask men change went light kind off need house picture try us again animal point mother world near build self earth father head stand own page should country found answer school grow study still learn plant cover food sun four between state keep eye never last let thought city tree cross farm hard start might story saw far sea draw left late run while press close night real life few north open seem together next white children begin got walk example ease paper group always music those both mark often letter until mile river car feet care second book carry took science eat room friend began idea fish mountain stop once base hear horse cut sure watch colour face wood main enough plain girl usual young ready above ever red list though feel talk bird soon body dog family direct pose leave song measure door product black short numeral class wind question happen complete ship area half rock order fire south problem piece told knew pass since top whole king space heard best hour better true during hundred five remember step early hold west ground interest reach fast verb sing listen six table travel less morning ten simple several vowel toward war lay against pattern slow centre love person money serve appear road map rain rule govern pull cold notice voice unit power town fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest correct able pound done beauty drive stood contain front teach week final gave green oh quick develop ocean warm free minute strong special mind behind clear tail produce fact street inch multiply nothing course stay wheel full force blue object decide surface deep moon island foot system busy test record boat common gold possible plane stead dry wonder laugh thousand ago ran check game shape equate hot miss brought heat snow tire bring yes distant fill east paint language among grand ball yet wave drop heart present heavy dance engine position arm wide sail material size vary settle speak weight general ice matter circle pair include divide syllable felt perhaps pick sudden count square reason length represent art subject region energy hunt probable bed brother egg ride cell believe fraction forest sit race window store summer train sleep prove lone leg exercise wall catch mount wish sky board joy winter sat written wild instrument kept glass grass cow job edge sign visit past soft fun bright gas weather month million bear finish happy hope flower clothe strange gone jump baby eight village meet root buy raise solve metal whether push seven paragraph third shall held hair describe cook floor either result burn hill safe cat century consider type law bit coast copy phrase silent tall sand soil roll temperature finger industry value fight lie beat excite natural view sense ear else quite broke case middle kill son lake moment scale loud spring observe child straight consonant nation dictionary milk speed method organ pay age section dress cloud surprise quiet stone tiny climb cool design poor lot experiment bottom key iron single stick flat twenty skin smile crease hole trade melody trip office receive row mouth exact symbol die least trouble shout except wrote seed tone join suggest clean break lady yard rise bad blow oil blood touch grew cent mix team wire cost lost brown wear garden equal sent choose fell fit flow fair bank collect save control decimal gentle woman captain practice separate difficult doctor please protect noon whose locate ring character insect caught period indicate radio spoke atom human history effect electric expect crop modern element hit student corner party supply bone rail imagine provide agree thus capital chair danger fruit rich thick soldier process operate guess necessary sharp wing create neighbour wash bat rather crowd corn compare poem string bell depend meat rub tube famous dollar stream fear sight thin triangle planet hurry chief colony clock mine tie enter major fresh search send yellow gun allow print dead spot desert suit current lift rose continue block chart hat sell success company subtract event particular deal swim term opposite wife shoe shoulder spread arrange camp invent cotton born determine quart nine truck noise level chance gather shop stretch throw shine property column molecule select wrong grey repeat require broad prepare salt nose plural anger claim continent oxygen sugar death pretty skill women season solution magnet silver thank branch match suffix especially fig afraid huge sister steel discuss forward similar guide experience score apple bought led pitch coat mass card band rope slip win dream evening condition feed tool total basic smell valley nor double seat arrive master track parent shore division sheet substance favour connect post spend chord fat glad original share station dad bread charge proper bar offer segment slave duck instant market degree populate chick dear enemy reply drink occur support speech nature range steam motion path liquid log meant quotient teeth shell neck'.split(
    ' ',
  )
const SYLLABLES =
  'ka lo mi ren tu sa vo ri den pa quo zel mar tin bel fo ru ga shi nel dor pe vi lan'.split(' ')

/** A vocabulary of ~20,000 words: common English first, then made-up words, Zipf-weighted. */
function vocabulary(random: () => number): string[] {
  const words = [...COMMON]
  const seen = new Set(words)
  while (words.length < 20_000) {
    const n = 2 + Math.floor(random() * 3)
    let w = ''
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)]
    if (!seen.has(w)) {
      seen.add(w)
      words.push(w)
    }
  }
  return words
}

export interface Corpus {
  /** Commits with their subjects, in log order. */
  commits: { subject: string; commit: Commit }[]
  pages: number
  /** Some words of the filler, for the speed queries. */
  sample: string[]
}

const uuid = (random: () => number): string => {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`
}

/** `pages` pages in all (the planted ones among them), in a log as comic would write it. */
export function generateCorpus(
  pages: number,
  subjects: {
    seriesEvents(id: string): string
    chapterEvents(id: string): string
    pageEvents(id: string): string
  },
  seed = 7,
): Corpus {
  const random = rng(seed)
  const vocab = vocabulary(random)
  // Zipf: rank r with weight 1/r, sampled through the cumulative sum
  const cumulative: number[] = []
  let sum = 0
  for (let r = 1; r <= vocab.length; r++) {
    sum += 1 / r
    cumulative.push(sum)
  }
  const word = (): string => {
    const x = random() * sum
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((cumulative[mid] as number) < x) lo = mid + 1
      else hi = mid
    }
    return vocab[lo] as string
  }
  const sentence = (n: number) => Array.from({ length: n }, word).join(' ')
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
  const commits: Corpus['commits'] = []
  const seriesIds = SERIES.map(() => uuid(random))
  const chapters: { id: string; series: string }[] = []
  seriesIds.forEach((id, i) => {
    commits.push({
      subject: subjects.seriesEvents(id),
      commit: c.series(id, `series-${i}`, SERIES[i] as string),
    })
    for (let k = 0; k < 25; k++) {
      const chapterId = uuid(random)
      chapters.push({ id: chapterId, series: id })
      commits.push({
        subject: subjects.chapterEvents(chapterId),
        commit: c.chapter(
          chapterId,
          id,
          `chapter-${k + 1}`,
          `Chapter ${k + 1}: ${sentence(2)}`,
          k + 1,
        ),
      })
    }
  })
  const plantEvery = Math.max(1, Math.floor(pages / PLANTED.length))
  let planted = 0
  for (let i = 0; i < pages; i++) {
    const pageId = uuid(random)
    const chapter = chapters[Math.floor((i / pages) * chapters.length)] as {
      id: string
      series: string
    }
    const subject = subjects.pageEvents(pageId)
    const plant = i % plantEvery === plantEvery - 1 ? PLANTED[planted++] : undefined
    if (plant) {
      const seriesId = seriesIds[plant.series ?? 0] as string
      const chapterOf = chapters.find((ch) => ch.series === seriesId) as { id: string }
      commits.push({
        subject,
        commit: c.draft(pageId, {
          seriesId,
          chapterId: chapterOf.id,
          position: i,
          slug: plant.slug,
          title: plant.title,
          transcript: plant.transcript ?? '',
          alt: plant.alt ?? [],
          hoverText: plant.hoverText ?? '',
          commentary: plant.commentary ?? '',
          characters: plant.characters ?? [],
          locations: plant.locations ?? [],
          tags: plant.tags ?? [],
        }),
      })
      const status = plant.status ?? 'published'
      if (status === 'published' || status === 'unpublished')
        commits.push({ subject, commit: c.publish(pageId) })
      if (status === 'unpublished') commits.push({ subject, commit: c.unpublish(pageId) })
      if (status === 'scheduled') commits.push({ subject, commit: c.schedule(pageId) })
      continue
    }
    const cast = [pick(CAST), pick(CAST)].filter((v, k, a) => a.indexOf(v) === k)
    const lines = Array.from(
      { length: 6 + Math.floor(random() * 6) },
      () => `${pick(cast).toUpperCase()}: ${sentence(6 + Math.floor(random() * 10))}`,
    )
    commits.push({
      subject,
      commit: c.draft(pageId, {
        seriesId: chapter.series,
        chapterId: chapter.id,
        position: i,
        slug: `page-${i}`,
        title: sentence(2 + Math.floor(random() * 3)),
        transcript: lines.join('\n'),
        alt: [sentence(10 + Math.floor(random() * 8))],
        hoverText: sentence(6),
        commentary: `${sentence(12)} **${word()}** ${sentence(8)}`,
        characters: cast,
        locations: random() < 0.4 ? [pick(PLACES)] : [],
        tags: random() < 0.6 ? [pick(TAGS)] : [],
      }),
    })
    // 5% of the filler stays a draft
    if (random() >= 0.05) commits.push({ subject, commit: c.publish(pageId) })
  }
  return { commits, pages, sample: Array.from({ length: 2_000 }, word) }
}
