CREATE TABLE "media_roots" (
	"id" serial PRIMARY KEY NOT NULL,
	"path" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "media_roots_path_unique" UNIQUE("path")
);
--> statement-breakpoint
ALTER TABLE "data_rows" ADD COLUMN "text" text;