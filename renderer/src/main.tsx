import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getClient } from './api/droneApi.js';
import { startSync } from './store/sync.js';
import { appStore } from './hooks/useApp.js';
import { App } from './App.js';
import './styles/app.css';

const SHOWN = 'swarmage.profile';
startSync(appStore, getClient(), (what, err) => console.warn(`swarmage: ${what} failed`, err), {
  load: () => {
    try {
      return localStorage.getItem(SHOWN);
    } catch {
      return null;
    }
  },
  save: (id) => {
    try {
      if (id) localStorage.setItem(SHOWN, id);
    } catch {
      // storage off (a private window): the first drone is shown next time
    }
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
