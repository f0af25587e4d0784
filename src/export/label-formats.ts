/**
 * The file formats labels export to. Kept apart from the export itself so the CLI can list them in
 * its help without loading the database code behind the export.
 */
export const LABEL_EXPORT_FORMATS = ['npy', 'csv', 'coco'] as const;
export type LabelExportFormat = (typeof LABEL_EXPORT_FORMATS)[number];
