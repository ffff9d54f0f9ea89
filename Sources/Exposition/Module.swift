import PromModel
