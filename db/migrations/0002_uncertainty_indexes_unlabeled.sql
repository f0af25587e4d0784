DROP INDEX "row_scores_run_least_idx";--> statement-breakpoint
DROP INDEX "row_scores_run_margin_idx";--> statement-breakpoint
DROP INDEX "row_scores_run_entropy_idx";--> statement-breakpoint
CREATE INDEX "row_scores_run_least_idx" ON "row_scores" USING btree ("run_id","uncertainty_least" DESC NULLS LAST,"row_id") WHERE not "row_scores"."labeled";--> statement-breakpoint
CREATE INDEX "row_scores_run_margin_idx" ON "row_scores" USING btree ("run_id","uncertainty_margin" DESC NULLS LAST,"row_id") WHERE not "row_scores"."labeled";--> statement-breakpoint
CREATE INDEX "row_scores_run_entropy_idx" ON "row_scores" USING btree ("run_id","uncertainty_entropy" DESC NULLS LAST,"row_id") WHERE not "row_scores"."labeled";