"""``python -m cdevops_chaos`` runs the command line."""

from cdevops_chaos.cli import main

if __name__ == "__main__":
    main()
