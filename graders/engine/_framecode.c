/* What the engine reads of frames at every step, read without audit events.
 *
 * The engine's 3.11 tracer learns which code a new frame runs at every call event of every
 * controlled thread, and each stand-in operation looks for the line of the code under test
 * that made it: ``frame.f_code`` raises an ``object.__getattr__`` audit event and
 * ``sys._getframe`` a ``sys._getframe`` one, and in the grading sandbox each event is a
 * call of the guard's Python hook (hundreds of thousands per check). The C API reads the
 * same fields with no event. Nothing here hands out a frame: only code objects, which any
 * function's ``__code__`` gives too. Built beside the mypyc-compiled modules and used with
 * them; graders/engine/frames.py holds the pure equivalents and says which one runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
code_of(PyObject *module, PyObject *frame)
{
    if (!Py_IS_TYPE(frame, &PyFrame_Type)) {
        PyErr_Format(PyExc_TypeError, "code_of() takes a frame, not %.100s",
                     Py_TYPE(frame)->tp_name);
        return NULL;
    }
    return (PyObject *)PyFrame_GetCode((PyFrameObject *)frame);
}

/* traced_site(depth, traced) -> (code, offset) of the innermost frame, from the caller's
 * ``depth``-th frame outwards (0: the caller's own), whose code's file name ``traced``
 * accepts; (None, -1) if none does. */
static PyObject *
traced_site(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "traced_site() takes depth and traced");
        return NULL;
    }
    Py_ssize_t depth = PyLong_AsSsize_t(args[0]);
    if (depth == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *traced = args[1];
    PyFrameObject *frame = PyEval_GetFrame();    /* borrowed */
    Py_XINCREF(frame);
    for (; depth > 0 && frame != NULL; depth--) {
        PyFrameObject *back = PyFrame_GetBack(frame);
        Py_DECREF(frame);
        frame = back;
    }
    while (frame != NULL) {
        PyCodeObject *code = PyFrame_GetCode(frame);
        PyObject *answer = PyObject_CallOneArg(traced, code->co_filename);
        if (answer == NULL) {
            Py_DECREF(code);
            Py_DECREF(frame);
            return NULL;
        }
        int accepted = PyObject_IsTrue(answer);
        Py_DECREF(answer);
        if (accepted < 0) {
            Py_DECREF(code);
            Py_DECREF(frame);
            return NULL;
        }
        if (accepted) {
            PyObject *site = Py_BuildValue("(Ni)", (PyObject *)code, PyFrame_GetLasti(frame));
            Py_DECREF(frame);
            return site;
        }
        Py_DECREF(code);
        PyFrameObject *back = PyFrame_GetBack(frame);
        Py_DECREF(frame);
        frame = back;
    }
    return Py_BuildValue("(Oi)", Py_None, -1);
}

static PyMethodDef methods[] = {
    {"code_of", code_of, METH_O, "code_of(frame) -> the code object the frame runs"},
    {"traced_site", (PyCFunction)(void (*)(void))traced_site, METH_FASTCALL,
     "traced_site(depth, traced) -> (code, offset) of the innermost traced frame"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_framecode",
    "What the engine reads of frames at every step, read without audit events.", 0,
    methods,
};

PyMODINIT_FUNC
PyInit__framecode(void)
{
    return PyModule_Create(&module);
}
