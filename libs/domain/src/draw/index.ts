export {
  createDrawFunction,
  defaultDrawBudgets,
  drawAssignments,
  drawWithOutcome,
  type DrawBudgets,
  type DrawMethod,
  type DrawOutcome,
} from './draw';
export { InfeasibleDrawError, type BlockingParticipants } from './explain';
