import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

export function render(root, { onLogin }) {
  const error = h('p', { class: 'error', id: 'login-error', 'data-testid': 'login-error', role: 'alert' });
  const user = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, maxlength: 64 });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h(
    'form',
    { class: 'login card', id: 'login-form' },
    h('h1', { text: 'Earshot' }),
    h('p', { class: 'muted', text: t('login.title') }),
    h('label', {}, t('login.username'), user),
    h('label', {}, t('login.password'), pass),
    h('button', { id: 'login-submit', type: 'submit', class: 'primary', text: t('login.submit') }),
    error,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      const me = await api('/auth/login', { method: 'POST', body: { username: user.value, password: pass.value } });
      await onLogin(me);
    } catch (err) {
      const key = { 401: 'login.invalid', 429: 'login.rateLimited' }[err.status] || 'login.error';
      error.textContent = t(key);
      pass.value = '';
      pass.focus();
    }
  });
  root.append(h('div', { class: 'login-wrap' }, form));
  user.focus();
}
