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
ALTER TABLE "matches" DROP CONSTRAINT "matches_run_id_model_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "matches" DROP CONSTRAINT "matches_row_id_data_rows_id_fk";
--> statement-breakpoint
ALTER TABLE "object_outcomes" DROP CONSTRAINT "object_outcomes_run_id_model_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "object_outcomes" DROP CONSTRAINT "object_outcomes_row_id_data_rows_id_fk";
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
