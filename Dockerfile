# The app image (API, workers, SPA). The engine and the database are separate services.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production TZ=Asia/Shanghai
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --include=dev
COPY . .
RUN npx vite build --config web/vite.config.mts
EXPOSE 3000
CMD ["npx", "tsx", "server/main.ts"]
