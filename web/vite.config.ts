import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console's build: `web/dist`, served by the app at `/` (src/platform/web.ts). Libraries get chunks of their own
// so the first page loads only what it needs; each page is a lazy chunk (web/src/routes.tsx).
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'charts';
          if (id.includes('node_modules/antd') || id.includes('node_modules/@ant-design') || id.includes('node_modules/rc-')) return 'antd';
          if (id.includes('node_modules/react') || id.includes('node_modules/scheduler')) return 'react';
          return undefined;
        },
      },
    },
  },
  server: { proxy: { '/api': 'http://localhost:8080', '/v1': 'http://localhost:8080', '/readyz': 'http://localhost:8080', '/files': 'http://localhost:8080' } },
});
