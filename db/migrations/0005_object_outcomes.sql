CREATE TABLE "object_outcomes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"row_id" bigint NOT NULL,
	"pred_id" bigint,
	"ann_id" bigint,
	"label" integer NOT NULL,
	"score" double precision,
	"iou" double precision NOT NULL,
	"codes" text NOT NULL,
	"involved" text
);
--> statement-breakpoint
ALTER TABLE "object_outcomes" ADD CONSTRAINT "object_outcomes_run_id_model_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."model_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "object_outcomes" ADD CONSTRAINT "object_outcomes_row_id_data_rows_id_fk" FOREIGN KEY ("row_id") REFERENCES "public"."data_rows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "object_outcomes_run_score_idx" ON "object_outcomes" USING btree ("run_id",coalesce("score", -1),"id");--> statement-breakpoint
CREATE INDEX "object_outcomes_run_iou_idx" ON "object_outcomes" USING btree ("run_id","iou","id");--> statement-breakpoint
CREATE INDEX "object_outcomes_run_row_idx" ON "object_outcomes" USING btree ("run_id","row_id");