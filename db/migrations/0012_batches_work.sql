ALTER TABLE "batch_items" ADD COLUMN "done_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "owner" text;--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "due_on" date;--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "reminded_for" date;--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "assigned_by" text;--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "assigned_at" timestamp with time zone;