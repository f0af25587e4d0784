ALTER TABLE "matches" DROP CONSTRAINT "matches_run_id_model_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "matches" DROP CONSTRAINT "matches_row_id_data_rows_id_fk";
--> statement-breakpoint
ALTER TABLE "object_outcomes" DROP CONSTRAINT "object_outcomes_run_id_model_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "object_outcomes" DROP CONSTRAINT "object_outcomes_row_id_data_rows_id_fk";

--> statement-breakpoint
-- The cascade the dropped keys gave, once per deleting statement (a join with the deleted rows)
-- instead of a key check per written line.
CREATE FUNCTION "derived_cascade_runs"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "object_outcomes" o USING gone g WHERE o."run_id" = g."id";
  DELETE FROM "matches" m USING gone g WHERE m."run_id" = g."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "derived_cascade_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "object_outcomes" o USING gone g WHERE o."row_id" = g."id";
  DELETE FROM "matches" m USING gone g WHERE m."row_id" = g."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "derived_cascade" AFTER DELETE ON "model_runs"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "derived_cascade_runs"();
--> statement-breakpoint
CREATE TRIGGER "derived_cascade" AFTER DELETE ON "data_rows"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "derived_cascade_rows"();
