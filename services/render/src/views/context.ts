import type { Site } from '../templates/layout.ts'
import { DEFAULT_THEME, type Theme, templatesFor } from '../templates/theme.ts'
import type { RenderContext } from './view.ts'

/** The context views render with: the theme's templates, and every page loads the script. */
export function renderContext(
  site: Site,
  theme: Theme = DEFAULT_THEME,
  script?: string,
): RenderContext {
  return {
    site,
    templates: templatesFor(theme),
    extras: script === undefined ? { theme } : { script, theme },
  }
}
