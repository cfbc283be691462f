// The student edition's Validate button: on every notebook's toolbar. It saves the notebook, asks the
// server extension corso_student to check it (POST corso/validate: a new kernel runs it from the start, as
// the grader will), and shows the answer, exercise by exercise, in the notebook's language. It takes the
// place of nbgrader's own button (@jupyter/nbgrader:validate-assignment, disabled in the edition).
import { Dialog, Notification, ToolbarButton, showDialog } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

const WORDS = {
  it: {
    label: 'Verifica',
    tooltip: 'Salva il notebook, eseguilo da capo come farà il docente e mostra l’esito di ogni esercizio',
    running: 'Verifica in corso…',
    failed: 'La verifica non è riuscita'
  },
  en: {
    label: 'Validate',
    tooltip: 'Save the notebook, run it from the start as the instructor will, and show each exercise’s result',
    running: 'Validating…',
    failed: 'The check could not run'
  }
};

async function check(path) {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'corso', 'validate');
  const init = { method: 'POST', body: JSON.stringify({ path }) };
  const response = await ServerConnection.makeRequest(url, init, settings);
  const reply = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(reply.message || response.statusText);
  }
  return reply;
}

function body(html) {
  const node = document.createElement('div');
  node.innerHTML = html; // made by corso.check.as_html: every piece of the notebook escaped
  return new Widget({ node });
}

function message(text) {
  const node = document.createElement('pre');
  node.className = 'corso-check-message';
  node.textContent = text;
  return new Widget({ node });
}

async function validate(panel, words, button) {
  button.enabled = false;
  const running = Notification.emit(words.running, 'in-progress', { autoClose: false });
  let reply, failure;
  try {
    await panel.context.save();
    reply = await check(panel.context.path);
  } catch (error) {
    failure = String(error.message || error);
  } finally {
    Notification.dismiss(running);
    button.enabled = true;
  }
  await showDialog(reply
    ? { title: reply.title, body: body(reply.html), buttons: [Dialog.okButton()] }
    : { title: words.failed, body: message(failure), buttons: [Dialog.okButton()] });
}

const plugin = {
  id: 'corso-validate:plugin',
  description: 'The Validate button: a notebook checked exercise by exercise, in the student\'s language.',
  autoStart: true,
  requires: [ITranslator],
  activate: (app, translator) => {
    const words = WORDS[(translator.languageCode || 'en').startsWith('it') ? 'it' : 'en'];
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: panel => {
        const button = new ToolbarButton({
          className: 'corso-validate',
          label: words.label,
          tooltip: words.tooltip,
          onClick: () => validate(panel, words, button)
        });
        panel.toolbar.insertItem(10, 'corso-validate', button);
        return button;
      }
    });
  }
};

export default plugin;
