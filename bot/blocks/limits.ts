/** Slack's Block Kit limits (https://docs.slack.dev/reference/block-kit): our builders never exceed them. */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  actionsElements: 25,
  contextElements: 10,
  contextText: 3000,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  actionId: 255,
  blockId: 255,
  altText: 2000,
  /** Slack documents ~13,000 characters of text across a message's blocks; we keep a margin. */
  totalText: 12_000,
  /** The top-level `text` fallback (notifications); Slack truncates at 40,000, we keep it short. */
  fallbackText: 3000,
} as const;
