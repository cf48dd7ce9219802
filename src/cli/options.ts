import { Option } from 'commander';

export const configOption = () => new Option('-c, --config <file>', 'configuration file (YAML)').env('EARSHOT_CONFIG');
