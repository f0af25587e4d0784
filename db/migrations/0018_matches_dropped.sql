-- The IoU 0.5 matches table was written by every detection analysis and read by nothing: the
-- per-object outcomes (object_outcomes) hold what the product shows of each box. The cascade
-- functions stop deleting from it before it goes.
CREATE OR REPLACE FUNCTION "derived_cascade_runs"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "object_outcomes" o USING gone g WHERE o."run_id" = g."id";
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
  DELETE FROM "annotations" a USING gone g WHERE a."row_id" = g."id";
  DELETE FROM "predictions" p USING gone g WHERE p."row_id" = g."id";
  DELETE FROM "embeddings" e USING gone g WHERE e."row_id" = g."id";
  DELETE FROM "row_scores" s USING gone g WHERE s."row_id" = g."id";
  DELETE FROM "label_flags" f USING gone g WHERE f."row_id" = g."id";
  DELETE FROM "projections" j USING gone g WHERE j."row_id" = g."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TABLE "matches" CASCADE;
