import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getClient } from './api/droneApi.js';
import { startSync } from './store/sync.js';
import { appStore } from './hooks/useApp.js';
import { App } from './App.js';
import './styles/app.css';

startSync(appStore, getClient(), (what, err) => console.warn(`swarmage: ${what} failed`, err));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
