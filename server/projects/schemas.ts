/**
 * The project application's schemas live in contracts/projects.ts (the routes parse with them, the
 * SPA types its requests from them); re-exported here for the Excel import and the service.
 */
export {
  MAX_AMOUNT_LINES,
  MAX_TARGETS,
  MAX_DESCRIPTION,
  amountLineInput,
  targetSchema,
  newProjectSchema,
  projectEditSchema,
  PROJECT_SORTS,
  projectListQuery,
  voidBody,
} from '../../contracts/projects';
export type { NewProject, ProjectEdit, ProjectListQuery } from '../../contracts/projects';
