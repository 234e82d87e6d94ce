/// <reference lib="dom" />
import { createToken, listTokens, revokeToken } from './api.ts'
import { byId, errorText, fill, h } from './dom.ts'
import { describeInstant } from './time.ts'

// The API tokens pane: create (the secret shown once), list, revoke.

export interface TokensPane {
  /** Lists the tokens again. */
  load(): Promise<void>
  /** Forgets the secret shown (leaving the pane). */
  hideSecret(): void
}

export function tokensPane(say: (text: string) => void, zone: string): TokensPane {
  async function load() {
    try {
      const tokens = await listTokens()
      fill(
        byId('tokens'),
        tokens.length
          ? tokens.map((t) =>
              h(
                'tr',
                {},
                h('td', {}, t.name),
                h(
                  'td',
                  {},
                  h('time', { datetime: t.createdAt }, describeInstant(t.createdAt, zone)),
                ),
                h(
                  'td',
                  {},
                  t.lastUsedAt
                    ? h('time', { datetime: t.lastUsedAt }, describeInstant(t.lastUsedAt, zone))
                    : h('span', { class: 'muted' }, 'never'),
                ),
                h(
                  'td',
                  {},
                  t.revokedAt
                    ? h('span', { class: 'muted' }, `Revoked ${describeInstant(t.revokedAt, zone)}`)
                    : h(
                        'button',
                        {
                          type: 'button',
                          'aria-label': `Revoke token ${t.name}`,
                          onclick: async () => {
                            try {
                              await revokeToken(t.id)
                              say(`Token ${t.name} revoked`)
                              await load()
                            } catch (error) {
                              say(`Not revoked: ${errorText(error)}`)
                            }
                          },
                        },
                        'Revoke',
                      ),
                ),
              ),
            )
          : h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No tokens yet.')),
      )
    } catch (error) {
      say(`Could not list tokens: ${errorText(error)}`)
    }
  }
  const tokenForm = byId('token-form', HTMLFormElement)
  tokenForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const created = await createToken(String(new FormData(tokenForm).get('name') ?? '').trim())
      byId('token-value').textContent = created.token
      byId('token-once').hidden = false
      ;(tokenForm.elements.namedItem('name') as HTMLInputElement).value = ''
      say(`Token ${created.name} created: copy it now`)
      await load()
    } catch (error) {
      say(`Token not created: ${errorText(error)}`)
    }
  })

  return {
    load,
    hideSecret() {
      byId('token-once').hidden = true
      byId('token-value').textContent = ''
    },
  }
}
