ALTER TABLE "annotations" DROP CONSTRAINT "annotations_row_id_data_rows_id_fk";
--> statement-breakpoint
ALTER TABLE "data_rows" DROP CONSTRAINT "data_rows_dataset_id_datasets_id_fk";
--> statement-breakpoint
ALTER TABLE "embeddings" DROP CONSTRAINT "embeddings_run_id_model_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "embeddings" DROP CONSTRAINT "embeddings_row_id_data_rows_id_fk";
--> statement-breakpoint
ALTER TABLE "label_flags" DROP CONSTRAINT "label_flags_run_id_model_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "label_flags" DROP CONSTRAINT "label_flags_row_id_data_rows_id_fk";
--> statement-breakpoint
ALTER TABLE "predictions" DROP CONSTRAINT "predictions_run_id_model_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "predictions" DROP CONSTRAINT "predictions_row_id_data_rows_id_fk";
--> statement-breakpoint
ALTER TABLE "projections" DROP CONSTRAINT "projections_run_id_model_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "projections" DROP CONSTRAINT "projections_row_id_data_rows_id_fk";
--> statement-breakpoint
ALTER TABLE "row_scores" DROP CONSTRAINT "row_scores_run_id_model_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "row_scores" DROP CONSTRAINT "row_scores_row_id_data_rows_id_fk";

--> statement-breakpoint
-- The cascade the dropped keys gave, for every bulk table: once per deleting statement (a join with
-- the deleted lines) instead of a key check per written line. Replaces derived_no_fk's functions,
-- which covered matches and object_outcomes only.
CREATE OR REPLACE FUNCTION "derived_cascade_runs"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "object_outcomes" o USING gone g WHERE o."run_id" = g."id";
  DELETE FROM "matches" m USING gone g WHERE m."run_id" = g."id";
  DELETE FROM "predictions" p USING gone g WHERE p."run_id" = g."id";
  DELETE FROM "embeddings" e USING gone g WHERE e."run_id" = g."id";
  DELETE FROM "row_scores" s USING gone g WHERE s."run_id" = g."id";
  DELETE FROM "label_flags" f USING gone g WHERE f."run_id" = g."id";
  DELETE FROM "projections" j USING gone g WHERE j."run_id" = g."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "derived_cascade_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "object_outcomes" o USING gone g WHERE o."row_id" = g."id";
  DELETE FROM "matches" m USING gone g WHERE m."row_id" = g."id";
  DELETE FROM "annotations" a USING gone g WHERE a."row_id" = g."id";
  DELETE FROM "predictions" p USING gone g WHERE p."row_id" = g."id";
  DELETE FROM "embeddings" e USING gone g WHERE e."row_id" = g."id";
  DELETE FROM "row_scores" s USING gone g WHERE s."row_id" = g."id";
  DELETE FROM "label_flags" f USING gone g WHERE f."row_id" = g."id";
  DELETE FROM "projections" j USING gone g WHERE j."row_id" = g."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "derived_cascade_datasets"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "data_rows" r USING gone g WHERE r."dataset_id" = g."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "derived_cascade" AFTER DELETE ON "datasets"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "derived_cascade_datasets"();
