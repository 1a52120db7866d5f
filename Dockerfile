# The command-line engine in a container, for running experiment shards on a cluster
# (docs/experiments/cluster.md). The same commands as the README's quick start: npm ci, then the CLI.
# GPU nodes: use an image with the GPU's Vulkan driver and run with --backend auto (WebGPU through Dawn).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
ENTRYPOINT ["npm", "run", "-s", "cli", "--"]
CMD ["--help"]
