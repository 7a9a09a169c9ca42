/** Task forms: definitions in forms/*.json, their format, and validation of submitted data. */
export { formDefinition } from '../../contracts/forms';
export { formSchema, validateWith, type FormValidation } from './schema';
export { FORMS_DIR, FormDefinitionError, formRegistry, loadForms, validateFormData, type FormRegistry } from './registry';
