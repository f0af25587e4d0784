/**
 * An independent check of Slack's Block Kit limits, as Slack's API answers `invalid_blocks`.
 * Written apart from the bot's builders so a builder bug cannot hide itself.
 */
export function blockKitViolations(blocks: unknown, fallbackText?: unknown): string[] {
  const errors: string[] = [];
  if (typeof fallbackText === 'string' && fallbackText.length > 40_000) errors.push('text over 40000');
  if (blocks === undefined) return errors;
  if (!Array.isArray(blocks)) return ['blocks is not an array'];
  if (blocks.length > 50) errors.push(`${blocks.length} blocks (max 50)`);
  let total = 0;
  const blockIds = new Set<string>();
  const text = (t: unknown, max: number, where: string) => {
    if (!t || typeof t !== 'object') return errors.push(`${where}: missing text object`);
    const s = (t as { text?: unknown }).text;
    if (typeof s !== 'string' || s.length === 0) return errors.push(`${where}: empty text`);
    if (s.length > max) errors.push(`${where}: text ${s.length} > ${max}`);
    total += s.length;
  };
  const element = (e: Record<string, unknown>, where: string) => {
    if (e.type === 'button') {
      text(e.text, 75, `${where} button`);
      if (typeof e.action_id === 'string' && e.action_id.length > 255)
        errors.push(`${where}: action_id > 255`);
      if (typeof e.value === 'string' && e.value.length > 2000) errors.push(`${where}: value > 2000`);
      if (typeof e.url === 'string' && e.url.length > 3000) errors.push(`${where}: url > 3000`);
    } else if (e.type === 'image') {
      if (typeof e.image_url !== 'string' || e.image_url.length > 3000) errors.push(`${where}: image_url`);
      if (typeof e.alt_text !== 'string' || e.alt_text.length > 2000) errors.push(`${where}: alt_text`);
    }
  };
  blocks.forEach((b: Record<string, unknown>, i) => {
    const where = `block ${i} (${b?.type})`;
    if (typeof b.block_id === 'string') {
      if (b.block_id.length > 255) errors.push(`${where}: block_id > 255`);
      if (blockIds.has(b.block_id)) errors.push(`${where}: duplicate block_id ${b.block_id}`);
      blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'header':
        text(b.text, 150, where);
        break;
      case 'section':
        if (b.text) text(b.text, 3000, where);
        if (Array.isArray(b.fields)) {
          if (b.fields.length > 10) errors.push(`${where}: ${b.fields.length} fields`);
          for (const [j, f] of b.fields.entries()) text(f, 2000, `${where} field ${j}`);
        }
        if (!b.text && !b.fields) errors.push(`${where}: no text or fields`);
        if (b.accessory) element(b.accessory as Record<string, unknown>, where);
        break;
      case 'context': {
        const els = b.elements as Record<string, unknown>[];
        if (!Array.isArray(els) || els.length === 0 || els.length > 10) errors.push(`${where}: elements`);
        else
          for (const e of els) {
            if (e.type === 'image') element(e, where);
            else text(e, 3000, where);
          }
        break;
      }
      case 'actions': {
        const els = b.elements as Record<string, unknown>[];
        if (!Array.isArray(els) || els.length === 0 || els.length > 25) errors.push(`${where}: elements`);
        else {
          const ids = new Set<string>();
          for (const e of els) {
            element(e, where);
            if (typeof e.action_id === 'string') {
              if (ids.has(e.action_id)) errors.push(`${where}: duplicate action_id`);
              ids.add(e.action_id);
            }
          }
        }
        break;
      }
      case 'divider':
      case 'image':
        break;
      default:
        errors.push(`${where}: unknown block type`);
    }
  });
  if (total > 13_000) errors.push(`total text ${total} > 13000`);
  return errors;
}
