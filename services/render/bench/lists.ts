// Render's cost of one publication at the end of a long series, in-process and without
// nginx: a 2,000-page series (BENCH_PAGES) is projected, then BENCH_CHANGES pages are
// published one at a time, each timed from its append to render having stored every path it
// owes (wall and this process's CPU, which is render's). `node services/render/bench/lists.ts`
// Needs NATS, MariaDB, Redis; works in a namespace of its own.
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { startRender } from '../src/service.ts'
import { createWorld, ev, quietLog } from '../test/harness.ts'

const PAGES = Number(process.env.BENCH_PAGES ?? 2000)
const CHANGES = Number(process.env.BENCH_CHANGES ?? 30)

const world = await createWorld()
const render = await startRender(world.config, { log: quietLog })
try {
  const series = randomUUID()
  await world.append(world.ns.seriesEvents(series), ev.seriesCreated(series, 'Long', 'long'))
  const chapters: string[] = []
  for (let c = 0; c < 20; c++) {
    const id = randomUUID()
    chapters.push(id)
    await world.append(world.ns.chapterEvents(id), ev.chapterCreated(id, series, c + 1))
  }
  const day = Date.parse('2024-01-01T10:00:00Z')
  let seq = 0
  const publish = async (i: number) => {
    const id = randomUUID()
    const chapter = chapters[Math.min(chapters.length - 1, Math.floor(i / (PAGES / 20)))]
    seq = await world.append(
      world.ns.pageEvents(id),
      ev.pageDrafted(id, series, `p-${i}`, {
        chapterId: chapter ?? null,
        position: i,
        title: `Page ${i} & more`,
        tags: ['long'],
        images: [
          {
            hash: i.toString(16).padStart(64, '0'),
            contentType: 'image/png',
            width: 1200,
            height: 1600,
            alt: `page ${i}`,
            color: '#336699',
          },
        ],
      }),
      ev.published(id, new Date(day + i * 86_400_000).toISOString()),
    )
  }
  const started = performance.now()
  for (let i = 0; i < PAGES; i++) await publish(i)
  await render.projection.waitFor(seq)
  await render.settled(300_000)
  console.log(
    `${PAGES} pages projected and rendered in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
  const wall: number[] = []
  const cpu: number[] = []
  // BENCH_PROFILE=<file.cpuprofile>: a CPU profile of the changes alone
  const profile = process.env.BENCH_PROFILE
  const session = profile ? new Session() : undefined
  if (session) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
    await session.post('Profiler.start')
  }
  for (let k = 0; k < CHANGES; k++) {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    await publish(PAGES + k)
    await render.projection.waitFor(seq)
    await render.settled(60_000)
    const c = process.cpuUsage(c0)
    wall.push(performance.now() - t0)
    cpu.push((c.user + c.system) / 1000)
  }
  if (session && profile) {
    const { profile: taken } = await session.post('Profiler.stop')
    writeFileSync(profile, JSON.stringify(taken))
    session.disconnect()
  }
  const pct = (xs: number[], p: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] as number
  console.log(
    `publish at the end of ${PAGES}: wall p50 ${pct(wall, 0.5).toFixed(0)} ms, p90 ${pct(wall, 0.9).toFixed(0)} ms; render CPU p50 ${pct(cpu, 0.5).toFixed(0)} ms, p90 ${pct(cpu, 0.9).toFixed(0)} ms (n=${CHANGES})`,
  )
} finally {
  await render.close()
  await world.cleanup()
}
