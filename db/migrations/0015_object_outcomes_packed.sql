CREATE SEQUENCE "public"."object_outcomes_generation" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "object_outcome_chunks" (
	"run_id" integer NOT NULL,
	"chunk" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "object_outcome_chunks_run_id_chunk_pk" PRIMARY KEY("run_id","chunk")
);
--> statement-breakpoint
CREATE TABLE "object_outcome_runs" (
	"run_id" integer PRIMARY KEY NOT NULL,
	"generation" bigint DEFAULT nextval('object_outcomes_generation') NOT NULL,
	"images" integer NOT NULL,
	"objects" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "object_outcomes" (
	"run_id" integer NOT NULL,
	"row_id" bigint NOT NULL,
	"error_mask" integer NOT NULL,
	CONSTRAINT "object_outcomes_run_id_row_id_pk" PRIMARY KEY("run_id","row_id")
);
--> statement-breakpoint
ALTER TABLE "object_outcome_chunks" ADD CONSTRAINT "object_outcome_chunks_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "object_outcome_runs" ADD CONSTRAINT "object_outcome_runs_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Out-of-line and uncompressed: packed doubles barely compress, and trying costs every analysis.
ALTER TABLE "object_outcome_chunks" ALTER COLUMN "data" SET STORAGE EXTERNAL;--> statement-breakpoint
-- Any delete of outcome lines (a run analysed again, a row deleted through the derived_cascade
-- triggers) moves the run's generation, once per statement.
CREATE FUNCTION "object_outcomes_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "object_outcome_runs" r SET "generation" = nextval('object_outcomes_generation')
    WHERE r."run_id" IN (SELECT DISTINCT g."run_id" FROM gone g);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "object_outcomes_changed" AFTER DELETE ON "object_outcomes"
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION "object_outcomes_changed"();
