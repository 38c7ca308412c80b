import { z } from "zod";
import { TeamMemoryRefusal } from "./team-memory";
import { defineTool, ToolInputError } from "./types";

export const deleteAnnotationTool = defineTool({
  name: "delete_annotation",
  title: "Delete annotation",
  description: [
    "Deletes an annotation by its id (list_annotations shows ids).",
    "On the team connector only the member who added it, or an administrator, may delete it.",
  ],
  hints: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  inputSchema: z.object({ id: z.string().min(1).describe("The annotation's id, e.g. ann_0123456789abcdef") }),
  outputSchema: z.object({ id: z.string(), deleted: z.boolean() }),
  async run(input, context) {
    const outcome = await context.memory.deleteAnnotation(input.id);
    if (outcome.refused === "not_found")
      throw new ToolInputError("id", `there is no annotation ${input.id} here; list_annotations shows the ids of a site's annotations`);
    if (outcome.refused === "not_author")
      throw new TeamMemoryRefusal(
        `Annotation ${input.id} was added by another member; only its author or an administrator (ADMIN_EMAILS) can delete it. Ask them.`,
      );
    return { structured: { id: input.id, deleted: true }, text: `Deleted annotation ${input.id}.` };
  },
});
