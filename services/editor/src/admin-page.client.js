// The admin page's script, inlined by admin-page.ts (allowed by its CSP hash). Plain browser
// JavaScript, no build step. Page state (the series, the open page and its version) lives
// client-side, in localStorage.

const $ = (id) => document.getElementById(id)
const showStatus = (text) => {
  $('status').textContent = text
}

// crypto.randomUUID exists only in secure contexts; getRandomValues works everywhere.
function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-')
}

function post(path, body) {
  return fetch(path, {
    method: 'POST',
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: 'same-origin',
  })
}

const loginForm = $('login')
if (loginForm) {
  loginForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    showStatus('logging in…')
    const res = await post('/admin/login', {
      email: loginForm.elements.email.value,
      password: loginForm.elements.password.value,
    })
    if (res.ok) location.reload()
    else showStatus((await res.json()).error.message)
  })
} else {
  editor()
}

function editor() {
  const STORE = 'inkstream.editor'
  const blank = {
    seriesId: '',
    seriesTitle: '',
    pageId: null,
    version: null,
    slug: '',
    title: '',
    body: '',
    status: 'draft',
  }
  const state = { ...blank, ...JSON.parse(localStorage.getItem(STORE) || '{}') }
  const save = () => localStorage.setItem(STORE, JSON.stringify(state))

  let socket
  let failures = 0
  let inFlight = null // the message awaiting its reply (resent as is, same id, until answered)
  let retries = 0 // resends of inFlight after "not confirmed" replies
  let retryTimer = null
  const queue = [] // builders of messages to send after it, in order
  let dirty = false // an autosave is due
  let timer = null
  let conflict = null

  const seriesForm = $('series-form')
  $('title').value = state.title
  $('slug').value = state.slug
  $('body').value = state.body

  function render() {
    const page = state.pageId !== null
    const series = state.seriesId !== ''
    // No series yet: only the series form; pages need one.
    seriesForm.hidden = series
    $('series-info').hidden = !series
    $('page-box').hidden = !series
    $('series-name').textContent = `Series: ${state.seriesTitle || 'untitled'} · ${state.seriesId}`
    $('other-series').disabled = page
    $('page-info').textContent = page
      ? `page ${state.pageId} · version ${state.version} · ${state.status}`
      : 'no page yet: fill in title and slug, then create a draft'
    $('draft').disabled = page || !series
    $('slug').disabled = page
    $('publish').disabled = !page || state.status === 'published'
    $('unpublish').disabled = !page || state.status !== 'published'
    $('public').hidden = !(page && state.status === 'published')
    $('public').href = `/comic/${encodeURIComponent(state.slug)}`
    $('conflict').hidden = conflict === null
  }

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://'
    socket = new WebSocket(`${scheme}${location.host}/admin/ws`)
    socket.onopen = () => {
      failures = 0
      showStatus('connected')
      clearTimeout(retryTimer)
      retryTimer = null
      if (inFlight) socket.send(JSON.stringify(inFlight))
      else pump()
    }
    socket.onmessage = (event) => onReply(JSON.parse(event.data))
    socket.onclose = (event) => {
      if (event.code === 4401 || ++failures > 5) {
        showStatus('disconnected: your session may have ended; reload the page to log in')
        return
      }
      showStatus('disconnected; reconnecting…')
      setTimeout(connect, 500 * 2 ** failures)
    }
  }

  function send(message) {
    inFlight = message
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message))
  }

  // One message at a time, so each carries the version the previous reply returned.
  function pump() {
    if (inFlight || conflict) return
    if (dirty && state.pageId) {
      dirty = false
      showStatus('saving…')
      return send({
        id: uuid(),
        op: 'edit',
        pageId: state.pageId,
        expectedVersion: state.version,
        title: $('title').value,
        body: $('body').value,
      })
    }
    const next = queue.shift()
    if (next) send(next())
  }

  function onReply(reply) {
    const message = inFlight
    if (!message || reply.id !== message.id) {
      if (!reply.ok) showStatus(`error: ${reply.error.message}`)
      return
    }
    if (!reply.ok && reply.error.code === 'INK_ERR_INTERNAL') {
      // Not confirmed (a timeout): it may have been saved after all. Resend the very same
      // message, same id, which the comic service appends at most once; never a new one.
      const delay = Math.min(1000 * 2 ** retries++, 30_000)
      showStatus(`not confirmed: ${reply.error.message}; resending in ${delay / 1000} s`)
      clearTimeout(retryTimer)
      retryTimer = setTimeout(() => {
        retryTimer = null
        if (inFlight === message) send(message)
      }, delay)
      return
    }
    retries = 0
    inFlight = null
    if (reply.ok && message.op === 'createSeries') {
      state.seriesId = reply.seriesId
      state.seriesTitle = message.title
      save()
      showStatus(`series "${message.title}" created`)
    } else if (reply.ok) {
      state.pageId = reply.pageId
      state.version = reply.version
      for (const key of ['seriesId', 'slug', 'title', 'body']) {
        if (message[key] !== undefined) state[key] = message[key]
      }
      if (message.op === 'publish') state.status = 'published'
      if (message.op === 'unpublish') state.status = 'draft'
      save()
      showStatus(`saved: version ${reply.version}${reply.duplicate ? ' (already saved)' : ''}`)
    } else if (
      reply.error.code === 'INK_ERR_CONFLICT' &&
      reply.error.currentVersion !== undefined
    ) {
      // a stale version (a slug already taken is a conflict too, but has no version: below)
      conflict = reply.error
      if (message.op === 'edit') dirty = true
      showStatus(`conflict: the page changed elsewhere (now version ${conflict.currentVersion})`)
    } else {
      showStatus(`not saved: ${reply.error.message}`)
    }
    render()
    pump()
  }

  function autosave() {
    clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      dirty = true
      pump()
    }, 500)
  }
  // Flush a pending autosave before a command that should see it.
  function flush() {
    if (timer) {
      clearTimeout(timer)
      timer = null
      dirty = true
    }
  }
  $('body').addEventListener('input', autosave)
  $('title').addEventListener('input', autosave)

  seriesForm.addEventListener('submit', (event) => {
    event.preventDefault()
    // our own series id, so a resend after a reconnect creates it once
    const message = {
      id: uuid(),
      op: 'createSeries',
      seriesId: uuid(),
      title: seriesForm.elements.title.value.trim(),
      slug: seriesForm.elements.slug.value.trim(),
    }
    queue.push(() => message)
    pump()
  })
  $('use-series').addEventListener('click', () => {
    const id = seriesForm.elements.existing.value.trim().toLowerCase()
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
      showStatus('a series id is a uuid')
      return
    }
    Object.assign(state, { seriesId: id, seriesTitle: '' })
    save()
    render()
  })
  $('other-series').addEventListener('click', () => {
    Object.assign(state, { seriesId: '', seriesTitle: '' })
    save()
    render()
  })

  $('draft').addEventListener('click', () => {
    // the draft carries the current title and text: no separate autosave for them
    clearTimeout(timer)
    timer = null
    dirty = false
    const pageId = uuid()
    const draft = {
      id: uuid(),
      op: 'draft',
      pageId,
      seriesId: state.seriesId,
      title: $('title').value,
      slug: $('slug').value.trim(),
      body: $('body').value,
    }
    queue.push(() => draft)
    pump()
  })
  for (const op of ['publish', 'unpublish']) {
    $(op).addEventListener('click', () => {
      flush()
      queue.push(() => ({ id: uuid(), op, pageId: state.pageId, expectedVersion: state.version }))
      pump()
    })
  }
  $('theirs').addEventListener('click', () => {
    const current = conflict.current
    if (current) {
      $('title').value = current.title
      $('body').value = current.body
      Object.assign(state, { title: current.title, body: current.body, slug: current.slug })
      state.status = current.status
    }
    state.version = conflict.currentVersion
    conflict = null
    dirty = false
    save()
    render()
    pump()
  })
  $('mine').addEventListener('click', () => {
    state.version = conflict.currentVersion
    conflict = null
    dirty = true
    render()
    pump()
  })
  $('new-page').addEventListener('click', () => {
    Object.assign(state, { ...blank, seriesId: state.seriesId, seriesTitle: state.seriesTitle })
    conflict = null
    for (const id of ['title', 'slug', 'body']) $(id).value = ''
    save()
    render()
  })
  $('logout').addEventListener('click', async () => {
    await post('/admin/logout')
    location.reload()
  })

  render()
  connect()
}
