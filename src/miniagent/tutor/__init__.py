"""The grammar tutor (issue 21): parse a learner's sentence, let the model propose, let the truth table decide."""
