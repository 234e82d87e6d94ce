/// <reference lib="dom" />
import { logIn } from './api.ts'
import { byId } from './dom.ts'
import { startStudio } from './studio.ts'

// The admin page's one script: the login form, or the studio.

const login = document.getElementById('login')
if (login instanceof HTMLFormElement) {
  const status = byId('status')
  login.addEventListener('submit', async (event) => {
    event.preventDefault()
    const form = new FormData(login)
    status.textContent = 'Logging in…'
    try {
      await logIn(String(form.get('email') ?? ''), String(form.get('password') ?? ''))
      location.reload()
    } catch (error) {
      status.textContent = (error as Error).message
    }
  })
} else {
  startStudio()
}
