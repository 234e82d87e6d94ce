// The admin page's script, inlined by admin-page.ts (allowed by its CSP hash). Plain browser
// JavaScript, no build step. Page state lives client-side (localStorage) in this skeleton.

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
  let inFlight = null // the message awaiting its reply (resent as is after a reconnect)
  const queue = [] // builders of messages to send after it, in order
  let dirty = false // an autosave is due
  let timer = null
  let conflict = null

  $('series').value = state.seriesId
  $('title').value = state.title
  $('slug').value = state.slug
  $('body').value = state.body

  function render() {
    const page = state.pageId !== null
    $('page-info').textContent = page
      ? `page ${state.pageId} · version ${state.version} · ${state.status}`
      : 'no page yet: fill in series, title and slug, then create a draft'
    $('draft').disabled = page
    $('slug').disabled = page
    $('series').disabled = page
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
    inFlight = null
    if (reply.ok) {
      state.pageId = reply.pageId
      state.version = reply.version
      for (const key of ['seriesId', 'slug', 'title', 'body']) {
        if (message[key] !== undefined) state[key] = message[key]
      }
      if (message.op === 'publish') state.status = 'published'
      if (message.op === 'unpublish') state.status = 'draft'
      save()
      showStatus(`saved: version ${reply.version}${reply.duplicate ? ' (already saved)' : ''}`)
    } else if (reply.error.code === 'INK_ERR_CONFLICT') {
      conflict = reply.error
      if (message.op === 'edit') dirty = true
      showStatus(`conflict: the page changed elsewhere (now version ${conflict.currentVersion})`)
    } else {
      if (message.op === 'edit' && reply.error.code === 'INK_ERR_INTERNAL') dirty = true
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

  $('draft').addEventListener('click', () => {
    const pageId = uuid()
    const draft = {
      id: uuid(),
      op: 'draft',
      pageId,
      seriesId: $('series').value.trim(),
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
    Object.assign(state, { ...blank, seriesId: state.seriesId })
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
