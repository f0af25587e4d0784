DROP TABLE "object_outcomes" CASCADE;--> statement-breakpoint
-- The line-per-object outcomes are not carried over to the packed form: runs analysed before say
-- so ("no per-object outcomes yet: analyze it again") instead of listing no objects.
UPDATE "model_runs" SET "metrics" = "metrics" - 'objects' WHERE "metrics" ? 'objects';
